import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, eq, gt, inArray } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import { playbookPolicies, playbookTasks } from '../../db/schema/playbook.js';
import { ERROR_BUDGET_RULE } from '../../domain/playbook/error-budget.js';
import {
  SYSTEM_TEMPLATE,
  ZPolicyParamsPatchSchema,
  ZPolicyParamsSchema,
  type TPolicyParams,
  type TPolicyParamsPatch,
} from '../../domain/playbook/policy.js';
import { applyMergePatch } from '../../domain/json-merge-patch.js';
import { ACTIVE_TASK_STATUSES } from '../../domain/playbook/status.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { conflict, notFound, unprocessable } from '../errors.js';
import { decodeCursor, page, pageOf, ZPageQuerySchema } from '../pagination.js';
import { defineRoute, json, jsonBody, ZIdParamSchema } from '../router.js';
import { registerPlaybookTaskRoutes } from './playbook-tasks.js';
import { displayName } from '../../domain/input-rules.js';

const tags = ['playbook'];

const ZParamsOutSchema = z.record(z.string(), z.unknown()).openapi('PlaybookPolicyParams', {
  description: `Policy parameters. Error budget: ${ERROR_BUDGET_RULE}`,
});

const ZTemplateSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    type: z.string(),
    description: z.string(),
    params: ZParamsOutSchema,
  })
  .openapi('PlaybookTemplate');

const ZPolicySchema = z
  .object({
    id: z.uuid(),
    templateId: z.uuid(),
    name: z.string(),
    description: z.string(),
    type: z.string(),
    params: ZParamsOutSchema,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('PlaybookPolicy');

type PolicyRow = typeof playbookPolicies.$inferSelect;
const toPolicyDto = (p: PolicyRow) => ({
  id: p.id,
  templateId: p.templateId,
  name: p.name,
  description: p.description,
  type: SYSTEM_TEMPLATE.type,
  params: p.params as unknown as Record<string, unknown>,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

const templatesRoute = defineRoute({
  method: 'get',
  path: '/v1/playbook/templates',
  tags,
  summary: 'Policy Center: the system templates',
  responses: { 200: json(z.object({ items: z.array(ZTemplateSchema) })) },
});

const cloneRoute = defineRoute({
  method: 'post',
  path: '/v1/playbook/templates/{id}/clone',
  tags,
  summary: 'Clone a template into My Policy (optionally with a name and parameters)',
  request: {
    params: ZIdParamSchema,
    body: {
      required: false,
      content: {
        'application/json': {
          schema: z.strictObject({
            name: displayName(200).optional(),
            description: z.string().max(2000).optional(),
            params: ZPolicyParamsPatchSchema.optional(),
          }),
        },
      },
    },
  },
  responses: { 201: json(ZPolicySchema, 'Created') },
});

const listRoute = defineRoute({
  method: 'get',
  path: '/v1/playbook/policies',
  tags,
  summary: 'My Policy: the account’s policies',
  request: { query: ZPageQuerySchema },
  responses: { 200: json(pageOf(ZPolicySchema)) },
});

const getRoute = defineRoute({
  method: 'get',
  path: '/v1/playbook/policies/{id}',
  tags,
  summary: 'One policy',
  request: { params: ZIdParamSchema },
  responses: { 200: json(ZPolicySchema) },
});

const patchRoute = defineRoute({
  method: 'patch',
  path: '/v1/playbook/policies/{id}',
  tags,
  summary:
    'Edit a policy’s name, description or parameters (existing tasks keep the parameters they were created with)',
  request: {
    params: ZIdParamSchema,
    body: jsonBody(
      z.strictObject({
        name: displayName(200).optional(),
        description: z.string().max(2000).optional(),
        params: ZPolicyParamsPatchSchema.optional(),
      }),
    ),
  },
  responses: { 200: json(ZPolicySchema) },
});

const deleteRoute = defineRoute({
  method: 'delete',
  path: '/v1/playbook/policies/{id}',
  tags,
  summary: 'Delete a policy (409 while one of its tasks is Waiting, Progressing, Paused or Cancelling)',
  request: { params: ZIdParamSchema },
  responses: { 204: { description: 'Deleted' } },
});

/**
 * A JSON Merge Patch (RFC 7396) applied to the parameters, the result validated as a whole: members removed by
 * `null` take their defaults again, and cross-field rules live in the schema.
 */
function mergeParams(base: TPolicyParams, patch: TPolicyParamsPatch | undefined): TPolicyParams {
  const merged = ZPolicyParamsSchema.safeParse(applyMergePatch(base, patch ?? {}));
  if (!merged.success) {
    throw unprocessable(
      'invalid policy parameters',
      merged.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return merged.data;
}

export function registerPlaybookRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(templatesRoute, (c) =>
    c.json(
      {
        items: [{ ...SYSTEM_TEMPLATE, params: SYSTEM_TEMPLATE.params as unknown as Record<string, unknown> }],
      },
      200,
    ),
  );

  app.openapi(cloneRoute, async (c) => {
    if (c.req.valid('param').id !== SYSTEM_TEMPLATE.id) throw notFound('template');
    const { db } = c.get('services');
    const actor = auditActor(c);
    const body = (c.req.header('content-type')?.includes('json') ? c.req.valid('json') : undefined) ?? {};
    const params = mergeParams(SYSTEM_TEMPLATE.params, body.params);
    const row = await db.transaction(async (tx) => {
      const [p] = await tx
        .insert(playbookPolicies)
        .values({
          accountId: actor.accountId,
          templateId: SYSTEM_TEMPLATE.id,
          name: body.name ?? SYSTEM_TEMPLATE.name,
          description: body.description ?? SYSTEM_TEMPLATE.description,
          params,
        })
        .returning();
      if (!p) throw new Error('policy row was not written');
      await recordAudit(tx, {
        ...actor,
        action: 'playbook_policy.clone',
        targetType: 'playbook_policy',
        targetId: p.id,
        after: p,
      });
      return p;
    });
    return c.json(toPolicyDto(row), 201);
  });

  app.openapi(listRoute, async (c) => {
    const { db } = c.get('services');
    const q = c.req.valid('query');
    const after = decodeCursor(q.cursor);
    const rows = await db
      .select()
      .from(playbookPolicies)
      .where(
        and(
          eq(playbookPolicies.accountId, c.get('caller').accountId),
          after ? gt(playbookPolicies.id, after) : undefined,
        ),
      )
      .orderBy(playbookPolicies.id)
      .limit(q.limit + 1);
    const p = page(rows, q.limit);
    return c.json({ items: p.items.map(toPolicyDto), nextCursor: p.nextCursor }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const [row] = await c
      .get('services')
      .db.select()
      .from(playbookPolicies)
      .where(
        and(
          eq(playbookPolicies.accountId, c.get('caller').accountId),
          eq(playbookPolicies.id, c.req.valid('param').id),
        ),
      );
    if (!row) throw notFound('policy');
    return c.json(toPolicyDto(row), 200);
  });

  app.openapi(patchRoute, async (c) => {
    const { db } = c.get('services');
    const actor = auditActor(c);
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const updated = await db.transaction(async (tx) => {
      const [before] = await tx
        .select()
        .from(playbookPolicies)
        .where(and(eq(playbookPolicies.accountId, actor.accountId), eq(playbookPolicies.id, id)))
        .for('update');
      if (!before) throw notFound('policy');
      const [after] = await tx
        .update(playbookPolicies)
        .set({
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
          params: mergeParams(before.params, body.params),
        })
        .where(eq(playbookPolicies.id, id))
        .returning();
      if (!after) throw notFound('policy');
      await recordAudit(tx, {
        ...actor,
        action: 'playbook_policy.update',
        targetType: 'playbook_policy',
        targetId: id,
        before,
        after,
      });
      return after;
    });
    return c.json(toPolicyDto(updated), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const { db } = c.get('services');
    const actor = auditActor(c);
    const { id } = c.req.valid('param');
    await db.transaction(async (tx) => {
      const [before] = await tx
        .select()
        .from(playbookPolicies)
        .where(and(eq(playbookPolicies.accountId, actor.accountId), eq(playbookPolicies.id, id)))
        .for('update');
      if (!before) throw notFound('policy');
      const active = await tx
        .select({ id: playbookTasks.id, status: playbookTasks.status })
        .from(playbookTasks)
        .where(and(eq(playbookTasks.policyId, id), inArray(playbookTasks.status, [...ACTIVE_TASK_STATUSES])))
        .limit(10);
      if (active.length > 0)
        throw conflict('the policy has active tasks; cancel them or wait until they end', { tasks: active });
      await tx.delete(playbookPolicies).where(eq(playbookPolicies.id, id));
      await recordAudit(tx, {
        ...actor,
        action: 'playbook_policy.delete',
        targetType: 'playbook_policy',
        targetId: id,
        before,
      });
    });
    return c.body(null, 204);
  });

  registerPlaybookTaskRoutes(app);
}
