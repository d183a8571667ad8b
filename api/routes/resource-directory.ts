import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { cancelInvitation } from '../../services/multi-account/cancel-invitation.js';
import { createDirectoryAccount } from '../../services/multi-account/create-directory-account.js';
import { directoryStanding, listDirectoryAccounts } from '../../services/multi-account/directory-views.js';
import { enableDirectory } from '../../services/multi-account/enable-directory.js';
import { inviteAccount } from '../../services/multi-account/invite-account.js';
import { listInvitations, type InvitationRow } from '../../services/multi-account/invitation-views.js';
import { leaveDirectory } from '../../services/multi-account/leave-directory.js';
import { removeDirectoryAccount } from '../../services/multi-account/remove-directory-account.js';
import { respondToInvitation } from '../../services/multi-account/respond-to-invitation.js';
import {
  DIRECTORY_JOIN_KINDS,
  DIRECTORY_ROLES,
  INVITATION_STATUSES,
} from '../../domain/multi-account/directory.js';
import { isValidTimeZone } from '../../domain/time-zones.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { notFound } from '../../domain/errors.js';
import { callerDirectory } from '../multi-account-access.js';
import { decodeCursor, page, pageOf, ZPageQuerySchema } from '../pagination.js';
import { resourceRoutes } from '../route-shapes.js';
import { defineRoute, json, jsonBody, ZIdParamSchema } from '../router.js';
import { displayName } from '../../domain/input-rules.js';

const tags = ['resource directory'];

const ZDirectorySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    managementAccountId: z.uuid(),
    autoAddNewAccounts: z.boolean(),
    /** The caller's role in the directory. */
    role: z.enum(DIRECTORY_ROLES),
    createdAt: z.iso.datetime(),
  })
  .openapi('ResourceDirectory');

const ZDirectoryAccountSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: z.enum(DIRECTORY_ROLES),
    joinedVia: z.enum(DIRECTORY_JOIN_KINDS),
    joinedAt: z.iso.datetime(),
    managed: z.boolean(),
  })
  .openapi('DirectoryAccount');

const ZInvitationSchema = z
  .object({
    id: z.uuid(),
    directoryId: z.uuid(),
    directoryName: z.string(),
    managementAccountId: z.uuid(),
    inviteeAccountId: z.uuid(),
    /** received: the caller is the invitee; sent: the caller's directory invited. */
    direction: z.enum(['received', 'sent']),
    status: z.enum(INVITATION_STATUSES),
    createdAt: z.iso.datetime(),
    /** When it stopped being pending: accepted or declined by the invitee, or cancelled by the directory. */
    respondedAt: z.iso.datetime().nullable(),
  })
  .openapi('DirectoryInvitation');

const ZCreatedDirectoryAccountSchema = ZDirectoryAccountSchema.extend({
  adminKey: z.string(),
  timeZone: z.string(),
});
const ZInviteBodySchema = z.strictObject({ accountId: z.uuid() });

export type TResourceDirectory = z.infer<typeof ZDirectorySchema>;
export type TDirectoryAccount = z.infer<typeof ZDirectoryAccountSchema>;
export type TCreatedDirectoryAccount = z.infer<typeof ZCreatedDirectoryAccountSchema>;
export type TDirectoryInvitation = z.infer<typeof ZInvitationSchema>;
export type TInviteAccountBody = z.input<typeof ZInviteBodySchema>;

const directory = resourceRoutes('/v1/resource-directory', tags, ZDirectorySchema, { writeRole: 'admin' });
const enableRoute = directory.create(
  'Enable a resource directory; the calling account becomes its management account',
  z.strictObject({ name: displayName(200) }),
);
const getRoute = directory.show("The caller's resource directory and its role in it");

const listAccountsRoute = defineRoute({
  method: 'get',
  path: '/v1/resource-directory/accounts',
  tags,
  summary: 'Accounts of the directory with their role (management account and delegated administrators)',
  request: {
    query: ZPageQuerySchema.extend({
      role: z.enum(DIRECTORY_ROLES).optional(),
      managed: z.enum(['true', 'false']).optional(),
    }),
  },
  responses: { 200: json(pageOf(ZDirectoryAccountSchema)) },
});

const createAccountRoute = defineRoute({
  method: 'post',
  path: '/v1/resource-directory/accounts',
  role: 'admin',
  tags,
  summary: 'Create a member account in the directory; its admin key is shown in this response only',
  request: {
    body: jsonBody(
      z.strictObject({
        name: displayName(200),
        timeZone: z
          .string()
          .refine(isValidTimeZone, 'must be an IANA time zone such as Asia/Shanghai')
          .optional(),
      }),
    ),
  },
  responses: {
    201: json(ZCreatedDirectoryAccountSchema, 'Created'),
  },
});

const invitations = resourceRoutes('/v1/resource-directory/invitations', tags, ZInvitationSchema, {
  writeRole: 'admin',
});
const inviteRoute = invitations.create(
  'Invite an existing account (by id); it accepts or declines with its own key',
  ZInviteBodySchema,
);
const listInvitationsRoute = invitations.list(
  'Invitations received by the caller and sent by its directory, newest first',
);
const respondRoute = (verb: 'accept' | 'decline') =>
  invitations.action(
    verb,
    verb === 'accept' ? 'Accept an invitation and join the directory' : 'Decline an invitation',
  );
const cancelRoute = invitations.action(
  'cancel',
  'Cancel a pending invitation of the directory (management account only); it can no longer be accepted',
);

const LEAVING =
  'The account leaves the directory and the managed list, and loses delegated administration from its next ' +
  'request; it keeps its own data and settings revisions, and a settings rollout to it stops at its next pass.';

const leaveRoute = defineRoute({
  method: 'post',
  path: '/v1/resource-directory/leave',
  role: 'admin',
  tags,
  summary: 'Leave the resource directory',
  description: `${LEAVING} The management account can leave only when no other account is in the directory (409 otherwise); the directory then closes and its pending invitations are withdrawn.`,
  responses: { 204: { description: 'Left' } },
});

const removeAccountRoute = defineRoute({
  method: 'delete',
  path: '/v1/resource-directory/accounts/{id}',
  role: 'admin',
  tags,
  summary: 'Remove an account from the directory (management account only)',
  description: `${LEAVING} The management account itself cannot be removed (422).`,
  request: { params: ZIdParamSchema },
  responses: { 204: { description: 'Removed' } },
});

function invitationDto(r: InvitationRow & { directoryName: string }, callerAccountId: string) {
  return {
    id: r.id,
    directoryId: r.directoryId,
    directoryName: r.directoryName,
    managementAccountId: r.accountId,
    inviteeAccountId: r.inviteeAccountId,
    direction: r.inviteeAccountId === callerAccountId ? ('received' as const) : ('sent' as const),
    status: r.status,
    createdAt: r.createdAt.toISOString(),
    respondedAt: r.respondedAt?.toISOString() ?? null,
  };
}

export function registerResourceDirectoryRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(enableRoute, async (c) => {
    const { db } = c.get('services');
    const directory = await enableDirectory(db, { by: auditActor(c), name: c.req.valid('json').name });
    return c.json(
      {
        id: directory.id,
        name: directory.name,
        managementAccountId: directory.accountId,
        autoAddNewAccounts: directory.autoAddNewAccounts,
        role: 'management' as const,
        createdAt: directory.createdAt.toISOString(),
      },
      201,
    );
  });

  app.openapi(getRoute, async (c) => {
    const standing = await directoryStanding(c.get('services').db, c.get('caller').accountId);
    if (!standing) throw notFound('resource directory');
    const d = standing.directory;
    return c.json(
      {
        id: d.id,
        name: d.name,
        managementAccountId: d.accountId,
        autoAddNewAccounts: d.autoAddNewAccounts,
        role: standing.role,
        createdAt: d.createdAt.toISOString(),
      },
      200,
    );
  });

  app.openapi(listAccountsRoute, async (c) => {
    const { directory } = await callerDirectory(c);
    const q = c.req.valid('query');
    const rows = await listDirectoryAccounts(c.get('services').db, {
      directory,
      after: decodeCursor(q.cursor),
      limit: q.limit,
      role: q.role,
      managed: q.managed === undefined ? undefined : q.managed === 'true',
    });
    const p = page(rows, q.limit);
    return c.json(
      { items: p.items.map((r) => ({ ...r, joinedAt: r.joinedAt.toISOString() })), nextCursor: p.nextCursor },
      200,
    );
  });

  app.openapi(createAccountRoute, async (c) => {
    const { directory } = await callerDirectory(c, { managementOnly: true });
    const body = c.req.valid('json');
    const created = await createDirectoryAccount(c.get('services'), {
      by: auditActor(c),
      directory,
      name: body.name,
      timeZone: body.timeZone,
    });
    return c.json(
      {
        id: created.account.id,
        name: created.account.name,
        timeZone: created.account.timeZone,
        role: 'member' as const,
        joinedVia: 'created' as const,
        joinedAt: created.account.createdAt.toISOString(),
        managed: created.managed,
        adminKey: created.adminKey.key,
      },
      201,
    );
  });

  app.openapi(inviteRoute, async (c) => {
    const { directory } = await callerDirectory(c, { managementOnly: true });
    const row = await inviteAccount(c.get('services').db, {
      by: auditActor(c),
      directory,
      inviteeAccountId: c.req.valid('json').accountId,
    });
    return c.json(invitationDto({ ...row, directoryName: directory.name }, c.get('caller').accountId), 201);
  });

  app.openapi(listInvitationsRoute, async (c) => {
    const q = c.req.valid('query');
    const accountId = c.get('caller').accountId;
    const rows = await listInvitations(c.get('services').db, {
      accountId,
      before: decodeCursor(q.cursor),
      limit: q.limit,
    });
    const p = page(rows, q.limit);
    return c.json({ items: p.items.map((r) => invitationDto(r, accountId)), nextCursor: p.nextCursor }, 200);
  });

  app.openapi(cancelRoute, async (c) => {
    const { directory } = await callerDirectory(c, { managementOnly: true });
    const row = await cancelInvitation(c.get('services').db, {
      by: auditActor(c),
      directory,
      invitationId: c.req.valid('param').id,
    });
    return c.json(invitationDto(row, c.get('caller').accountId), 200);
  });

  app.openapi(leaveRoute, async (c) => {
    await leaveDirectory(c.get('services').db, { by: auditActor(c) });
    return c.body(null, 204);
  });

  app.openapi(removeAccountRoute, async (c) => {
    const { directory } = await callerDirectory(c, { managementOnly: true });
    await removeDirectoryAccount(c.get('services').db, {
      by: auditActor(c),
      directory,
      accountId: c.req.valid('param').id,
    });
    return c.body(null, 204);
  });

  for (const verb of ['accept', 'decline'] as const) {
    app.openapi(respondRoute(verb), async (c) => {
      const row = await respondToInvitation(c.get('services'), {
        by: auditActor(c),
        invitationId: c.req.valid('param').id,
        accept: verb === 'accept',
      });
      return c.json(invitationDto(row, c.get('caller').accountId), 200);
    });
  }
}
