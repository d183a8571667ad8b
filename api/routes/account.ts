import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, eq, isNull } from 'drizzle-orm';
import { createApiKey } from '../../services/accounts/api-keys.js';
import { recordAudit } from '../../db/audit.js';
import { accounts, apiKeys } from '../../db/schema/accounts.js';
import { auditLog } from '../../db/schema/audit.js';
import { MIN_ACTIVE_ADMIN_KEYS } from '../../domain/api-keys.js';
import { ROLES } from '../../domain/roles.js';
import { isValidTimeZone } from '../../domain/time-zones.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { conflict, notFound } from '../errors.js';
import { keyset, page, pageOf, ZPageQuerySchema } from '../pagination.js';
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

const getAccount = defineRoute({
  method: 'get',
  path: '/v1/account',
  tags: ['account'],
  summary: 'The calling account',
  responses: { 200: json(ZAccountSchema) },
});

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

const listKeys = defineRoute({
  method: 'get',
  path: '/v1/api-keys',
  role: 'admin',
  tags: ['account'],
  summary: 'List API keys (never the keys themselves)',
  request: { query: ZPageQuerySchema },
  responses: { 200: json(pageOf(ZApiKeySchema)) },
});

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

function keyDto(k: typeof apiKeys.$inferSelect) {
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
    const [row] = await db
      .select()
      .from(accounts)
      .where(eq(accounts.id, c.get('caller').accountId));
    if (!row) throw notFound('account');
    return c.json({ ...row, createdAt: row.createdAt.toISOString() }, 200);
  });

  app.openapi(patchAccount, async (c) => {
    const { db } = c.get('services');
    const actor = auditActor(c);
    const body = c.req.valid('json');
    const row = await db.transaction(async (tx) => {
      const [before] = await tx.select().from(accounts).where(eq(accounts.id, actor.accountId));
      if (!before) throw notFound('account');
      // A patch that names no field changes nothing: the account as it is, and no audit row.
      if (body.name === undefined && body.timeZone === undefined) return before;
      const [after] = await tx.update(accounts).set(body).where(eq(accounts.id, actor.accountId)).returning();
      if (!after) throw notFound('account');
      await recordAudit(tx, {
        ...actor,
        action: 'account.update',
        targetType: 'account',
        targetId: after.id,
        before,
        after,
      });
      return after;
    });
    return c.json({ ...row, createdAt: row.createdAt.toISOString() }, 200);
  });

  app.openapi(createKey, async (c) => {
    const { db } = c.get('services');
    const actor = auditActor(c);
    const body = c.req.valid('json');
    const created = await db.transaction(async (tx) => {
      const k = await createApiKey(tx, {
        accountId: actor.accountId,
        name: body.name,
        role: body.role,
        createdBy: c.get('caller').apiKeyId,
      });
      await recordAudit(tx, {
        ...actor,
        action: 'api_key.create',
        targetType: 'api_key',
        targetId: k.id,
        after: { name: k.name, role: k.role, prefix: k.prefix },
      });
      return k;
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
    const { db } = c.get('services');
    const q = c.req.valid('query');
    const { where, orderBy } = keyset(apiKeys.id, q.cursor);
    const rows = await db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.accountId, c.get('caller').accountId), where))
      .orderBy(orderBy)
      .limit(q.limit + 1);
    const p = page(rows, q.limit);
    return c.json({ items: p.items.map(keyDto), nextCursor: p.nextCursor }, 200);
  });

  app.openapi(revokeKey, async (c) => {
    const { db } = c.get('services');
    const actor = auditActor(c);
    const { id } = c.req.valid('param');
    const row = await db.transaction(async (tx) => {
      const where = and(eq(apiKeys.accountId, actor.accountId), eq(apiKeys.id, id));
      const [before] = await tx.select().from(apiKeys).where(where);
      if (!before) throw notFound('API key');
      if (before.revokedAt) return before;
      if (before.role === 'admin') {
        // Locks the account's active admin keys, so two admins revoking each other cannot both succeed.
        const admins = await tx
          .select({ id: apiKeys.id })
          .from(apiKeys)
          .where(
            and(eq(apiKeys.accountId, actor.accountId), eq(apiKeys.role, 'admin'), isNull(apiKeys.revokedAt)),
          )
          .for('update');
        if (admins.length <= MIN_ACTIVE_ADMIN_KEYS) {
          throw conflict(
            'this is the last active admin key of the account; create another admin key before revoking it',
          );
        }
      }
      const [after] = await tx.update(apiKeys).set({ revokedAt: new Date() }).where(where).returning();
      if (!after) throw notFound('API key');
      await recordAudit(tx, {
        ...actor,
        action: 'api_key.revoke',
        targetType: 'api_key',
        targetId: id,
        after: { revokedAt: after.revokedAt },
      });
      return after;
    });
    return c.json(keyDto(row), 200);
  });

  app.openapi(listAudit, async (c) => {
    const { db } = c.get('services');
    const q = c.req.valid('query');
    const { where, orderBy } = keyset(auditLog.id, q.cursor, 'desc');
    const rows = await db
      .select()
      .from(auditLog)
      .where(
        and(
          eq(auditLog.accountId, c.get('caller').accountId),
          where,
          q.action ? eq(auditLog.action, q.action) : undefined,
          q.targetId ? eq(auditLog.targetId, q.targetId) : undefined,
        ),
      )
      .orderBy(orderBy)
      .limit(q.limit + 1)
      .prepare('list_audit_log')
      .execute();
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
