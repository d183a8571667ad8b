import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { loadAccount } from '../../services/accounts/account-views.js';
import { listApiKeys, type ApiKeyRow } from '../../services/accounts/api-key-views.js';
import { listAuditLog } from '../../services/accounts/audit-log-views.js';
import { createAccountApiKey } from '../../services/accounts/create-api-key.js';
import { revokeApiKey } from '../../services/accounts/revoke-api-key.js';
import { updateAccount } from '../../services/accounts/update-account.js';
import { ROLES } from '../../domain/roles.js';
import { isValidTimeZone } from '../../domain/time-zones.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { accountPage, decodeCursor, page, pageOf, ZPageQuerySchema } from '../pagination.js';
import { resourceRoutes } from '../route-shapes.js';
import { defineRoute, json, jsonBody, ZIdParamSchema } from '../router.js';
import { displayName } from '../../domain/input-rules.js';

const ZAccountSchema = z
  .object({ id: z.uuid(), name: z.string(), timeZone: z.string(), createdAt: z.iso.datetime() })
  .openapi('Account');

const ZApiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: z.enum(ROLES),
    prefix: z.string(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .openapi('ApiKey');

const iso = (d: Date | null) => d?.toISOString() ?? null;

const getAccount = resourceRoutes('/v1/account', ['account'], ZAccountSchema).show('The calling account');

const patchAccount = defineRoute({
  method: 'patch',
  path: '/v1/account',
  role: 'admin',
  tags: ['account'],
  summary: 'Rename the account or change its time zone',
  request: {
    body: jsonBody(
      z.strictObject({
        name: displayName(200).optional(),
        timeZone: z
          .string()
          .refine(isValidTimeZone, 'must be an IANA time zone such as Asia/Shanghai')
          .optional(),
      }),
    ),
  },
  responses: { 200: json(ZAccountSchema) },
});

const createKey = defineRoute({
  method: 'post',
  path: '/v1/api-keys',
  role: 'admin',
  tags: ['account'],
  summary: 'Create an API key; the key is shown in this response only',
  request: {
    body: jsonBody(z.strictObject({ name: displayName(100), role: z.enum(ROLES) })),
  },
  responses: { 201: json(ZApiKeySchema.extend({ key: z.string() }), 'Created') },
});

const listKeys = resourceRoutes('/v1/api-keys', ['account'], ZApiKeySchema, { readRole: 'admin' }).list(
  'List API keys (never the keys themselves)',
);

const revokeKey = defineRoute({
  method: 'delete',
  path: '/v1/api-keys/{id}',
  role: 'admin',
  tags: ['account'],
  summary: 'Revoke an API key; it stops working at once',
  request: { params: ZIdParamSchema },
  responses: { 200: json(ZApiKeySchema) },
});

const ZAuditSchema = z
  .object({
    id: z.uuid(),
    actor: z.string(),
    actorAccountId: z.uuid().nullable(),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
    at: z.iso.datetime(),
    requestId: z.string().nullable(),
  })
  .openapi('AuditEntry');

const listAudit = defineRoute({
  method: 'get',
  path: '/v1/audit-log',
  operationId: 'listAuditLog',
  tags: ['account'],
  summary: 'Audit log, newest first',
  request: {
    query: ZPageQuerySchema.extend({
      action: z.string().max(100).optional(),
      targetId: z.string().max(200).optional(),
    }),
  },
  responses: { 200: json(pageOf(ZAuditSchema)) },
});

function keyDto(k: ApiKeyRow) {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    prefix: k.prefix,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: iso(k.lastUsedAt),
    revokedAt: iso(k.revokedAt),
  };
}

export function registerAccountRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(getAccount, async (c) => {
    const { db } = c.get('services');
    const row = await loadAccount(db, c.get('caller').accountId);
    return c.json({ ...row, createdAt: row.createdAt.toISOString() }, 200);
  });

  app.openapi(patchAccount, async (c) => {
    const { db } = c.get('services');
    const row = await updateAccount(db, auditActor(c), c.req.valid('json'));
    return c.json({ ...row, createdAt: row.createdAt.toISOString() }, 200);
  });

  app.openapi(createKey, async (c) => {
    const { db } = c.get('services');
    const body = c.req.valid('json');
    const created = await createAccountApiKey(db, auditActor(c), {
      name: body.name,
      role: body.role,
      createdBy: c.get('caller').apiKeyId,
    });
    return c.json(
      {
        id: created.id,
        name: created.name,
        role: created.role,
        prefix: created.prefix,
        createdAt: created.createdAt.toISOString(),
        lastUsedAt: null,
        revokedAt: null,
        key: created.key,
      },
      201,
    );
  });

  app.openapi(listKeys, async (c) => {
    return c.json(await accountPage(c, c.req.valid('query'), listApiKeys, keyDto), 200);
  });

  app.openapi(revokeKey, async (c) => {
    const { db } = c.get('services');
    const row = await revokeApiKey(db, auditActor(c), { id: c.req.valid('param').id });
    return c.json(keyDto(row), 200);
  });

  app.openapi(listAudit, async (c) => {
    const { db } = c.get('services');
    const q = c.req.valid('query');
    const rows = await listAuditLog(db, {
      accountId: c.get('caller').accountId,
      before: decodeCursor(q.cursor),
      limit: q.limit,
      action: q.action,
      targetId: q.targetId,
    });
    const p = page(rows, q.limit);
    return c.json(
      {
        items: p.items.map((r) => ({
          id: r.id,
          actor: r.actor,
          actorAccountId: r.actorAccountId,
          action: r.action,
          targetType: r.targetType,
          targetId: r.targetId,
          before: r.before,
          after: r.after,
          at: r.at.toISOString(),
          requestId: r.requestId,
        })),
        nextCursor: p.nextCursor,
      },
      200,
    );
  });
}
