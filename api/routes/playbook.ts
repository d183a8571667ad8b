import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { ERROR_BUDGET_RULE } from '../../domain/playbook/error-budget.js';
import { SYSTEM_TEMPLATE, ZPolicyParamsPatchSchema } from '../../domain/playbook/policy.js';
import { clonePolicy, type PolicyRow } from '../../services/playbook/clone-policy.js';
import { deletePolicy } from '../../services/playbook/delete-policy.js';
import { findPolicy, listPolicies } from '../../services/playbook/policy-views.js';
import { updatePolicy } from '../../services/playbook/update-policy.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { accountPage, pageOf, ZPageQuerySchema } from '../pagination.js';
import { resourceRoutes } from '../route-shapes.js';
import { defineRoute, json, ZIdParamSchema } from '../router.js';
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
export type TPlaybookTemplate = z.infer<typeof ZTemplateSchema>;

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
export type TPlaybookPolicy = z.infer<typeof ZPolicySchema>;

const ZPolicyPageSchema = pageOf(ZPolicySchema);
export type TPlaybookPolicyPage = z.infer<typeof ZPolicyPageSchema>;

/** The body of clone and edit: a name, a description and a merge patch of the parameters, each optional. */
const ZPolicyBodySchema = z.strictObject({
  name: displayName(200).optional(),
  description: z.string().max(2000).optional(),
  params: ZPolicyParamsPatchSchema.optional(),
});
export type TClonePolicyBody = z.infer<typeof ZPolicyBodySchema>;
export type TUpdatePolicyBody = z.infer<typeof ZPolicyBodySchema>;

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
          schema: ZPolicyBodySchema,
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
  responses: { 200: json(ZPolicyPageSchema) },
});

const policies = resourceRoutes('/v1/playbook/policies', tags, ZPolicySchema);
const getRoute = policies.get('One policy');
const patchRoute = policies.patch(
  'Edit a policy’s name, description or parameters (existing tasks keep the parameters they were created with)',
  ZPolicyBodySchema,
);
const deleteRoute = policies.delete(
  'Delete a policy (409 while one of its tasks is Waiting, Progressing, Paused or Cancelling)',
);

/** Request and response types of this module's routes (the contract tests use them). */

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
    const body = (c.req.header('content-type')?.includes('json') ? c.req.valid('json') : undefined) ?? {};
    const row = await clonePolicy(c.get('services').db, auditActor(c), {
      templateId: c.req.valid('param').id,
      ...body,
    });
    return c.json(toPolicyDto(row), 201);
  });

  app.openapi(listRoute, async (c) => {
    return c.json(await accountPage(c, c.req.valid('query'), listPolicies, toPolicyDto), 200);
  });

  app.openapi(getRoute, async (c) => {
    const row = await findPolicy(c.get('services').db, c.get('caller').accountId, c.req.valid('param').id);
    return c.json(toPolicyDto(row), 200);
  });

  app.openapi(patchRoute, async (c) => {
    const row = await updatePolicy(c.get('services').db, auditActor(c), {
      policyId: c.req.valid('param').id,
      ...c.req.valid('json'),
    });
    return c.json(toPolicyDto(row), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    await deletePolicy(c.get('services').db, auditActor(c), { policyId: c.req.valid('param').id });
    return c.body(null, 204);
  });

  registerPlaybookTaskRoutes(app);
}
