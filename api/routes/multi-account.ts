import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { MAX_DELEGATED_ADMINS } from '../../domain/multi-account/directory.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { callerDirectory } from '../multi-account-access.js';
import { decodeCursor, page } from '../pagination.js';
import { resourceRoutes } from '../route-shapes.js';
import { defineRoute, json, jsonBody } from '../router.js';
import { addDelegatedAdmin } from '../../services/multi-account/add-delegated-admin.js';
import { addManagedMembers } from '../../services/multi-account/add-managed-members.js';
import { listDelegatedAdmins, listManagedMembers } from '../../services/multi-account/directory-views.js';
import { removeDelegatedAdmin } from '../../services/multi-account/remove-delegated-admin.js';
import { removeManagedMember } from '../../services/multi-account/remove-managed-member.js';
import { setAutoAdd } from '../../services/multi-account/set-auto-add.js';

const tags = ['multi-account control'];

const ZDelegatedAdminSchema = z
  .object({ accountId: z.uuid(), name: z.string(), since: z.iso.datetime() })
  .openapi('DelegatedAdmin');

const ZManagedMemberSchema = z
  .object({ id: z.uuid(), name: z.string(), addedBy: z.string(), addedAt: z.iso.datetime() })
  .openapi('ManagedMember');

const admins = resourceRoutes('/v1/multi-account/delegated-admins', tags, ZDelegatedAdminSchema, {
  writeRole: 'admin',
});
const addAdminRoute = admins.create(
  `Designate a directory account as delegated administrator (management account only; at most ${MAX_DELEGATED_ADMINS})`,
  z.strictObject({ accountId: z.uuid() }),
);

const listAdminsRoute = defineRoute({
  method: 'get',
  path: '/v1/multi-account/delegated-admins',
  tags,
  summary: 'Delegated administrators of the directory (management account only)',
  responses: { 200: json(z.object({ items: z.array(ZDelegatedAdminSchema), limit: z.number().int() })) },
});

const removeAdminRoute = admins.delete(
  'Withdraw delegated administration; effective on the next request of that account',
  'Removed',
);

const addMembersRoute = defineRoute({
  method: 'post',
  path: '/v1/multi-account/members',
  tags,
  summary:
    'Add directory accounts to the managed member list (management account or delegated administrator)',
  request: {
    body: jsonBody(
      z.union([
        z.strictObject({ accountId: z.uuid() }),
        z.strictObject({ accountIds: z.array(z.uuid()).min(1).max(500) }),
      ]),
    ),
  },
  responses: { 200: json(z.object({ added: z.array(z.uuid()), alreadyManaged: z.array(z.uuid()) })) },
});

const members = resourceRoutes('/v1/multi-account/members', tags, ZManagedMemberSchema);
const listMembersRoute = members.list('The managed member list');

const removeMemberRoute = members.delete(
  'Remove an account from the managed member list (it stays in the directory)',
  'Removed',
);

const autoAddRoute = defineRoute({
  method: 'put',
  path: '/v1/multi-account/auto-add',
  tags,
  summary: 'Add accounts that join the directory to the managed list automatically',
  request: { body: jsonBody(z.strictObject({ enabled: z.boolean() })) },
  responses: { 200: json(z.object({ enabled: z.boolean() })) },
});

export function registerMultiAccountRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(addAdminRoute, async (c) => {
    const { directory } = await callerDirectory(c, { managementOnly: true });
    const { db } = c.get('services');
    const accountId = c.req.valid('json').accountId;
    const added = await addDelegatedAdmin(db, { by: auditActor(c), directory, accountId });
    const admin = (await listDelegatedAdmins(db, directory)).find((a) => a.accountId === added.accountId);
    return c.json(
      { accountId: added.accountId, name: admin?.name ?? '', since: added.since.toISOString() },
      201,
    );
  });

  app.openapi(listAdminsRoute, async (c) => {
    const { directory } = await callerDirectory(c, { managementOnly: true });
    const rows = await listDelegatedAdmins(c.get('services').db, directory);
    const items = rows.map((r) => ({
      accountId: r.accountId,
      name: r.name,
      since: r.since?.toISOString() ?? '',
    }));
    return c.json({ items, limit: MAX_DELEGATED_ADMINS }, 200);
  });

  app.openapi(removeAdminRoute, async (c) => {
    const { directory } = await callerDirectory(c, { managementOnly: true });
    const accountId = c.req.valid('param').id;
    await removeDelegatedAdmin(c.get('services').db, { by: auditActor(c), directory, accountId });
    return c.body(null, 204);
  });

  app.openapi(addMembersRoute, async (c) => {
    const { directory } = await callerDirectory(c);
    const body = c.req.valid('json');
    const accountIds = 'accountId' in body ? [body.accountId] : body.accountIds;
    const result = await addManagedMembers(c.get('services'), {
      by: auditActor(c),
      directory,
      accountIds,
    });
    return c.json(result, 200);
  });

  app.openapi(listMembersRoute, async (c) => {
    const { directory } = await callerDirectory(c);
    const q = c.req.valid('query');
    const rows = await listManagedMembers(c.get('services').db, {
      directory,
      after: decodeCursor(q.cursor),
      limit: q.limit,
    });
    const p = page(rows, q.limit);
    return c.json(
      { items: p.items.map((r) => ({ ...r, addedAt: r.addedAt.toISOString() })), nextCursor: p.nextCursor },
      200,
    );
  });

  app.openapi(removeMemberRoute, async (c) => {
    const { directory } = await callerDirectory(c);
    const accountId = c.req.valid('param').id;
    await removeManagedMember(c.get('services').db, { by: auditActor(c), directory, accountId });
    return c.body(null, 204);
  });

  app.openapi(autoAddRoute, async (c) => {
    const { directory } = await callerDirectory(c);
    const enabled = c.req.valid('json').enabled;
    const after = await setAutoAdd(c.get('services').db, { by: auditActor(c), directory, enabled });
    return c.json({ enabled: after.autoAddNewAccounts }, 200);
  });
}
