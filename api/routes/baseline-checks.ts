import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { SEVERITIES } from '../../domain/findings.js';
import { listBaselineChecks } from '../../services/inventory/baseline-check-views.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { decodeCursor, page, pageOf, ZPageQuerySchema } from '../pagination.js';
import { defineRoute, json } from '../router.js';

export const ZBaselineCheckSchema = z
  .object({
    id: z.uuid(),
    assetId: z.uuid(),
    assetName: z.string(),
    policyName: z.string(),
    status: z.enum(['checked', 'unsupported']),
    reason: z.string().nullable(),
    content: z.string().nullable(),
    profile: z.string().nullable(),
    passed: z.number().int(),
    failed: z.number().int(),
    other: z.number().int(),
    checkedAt: z.string(),
    agentBaseline: z.object({ available: z.boolean(), reason: z.string().optional() }).nullable(),
    risks: z.array(
      z.object({
        id: z.uuid(),
        ruleId: z.string(),
        title: z.string(),
        severity: z.enum(SEVERITIES),
        evidence: z.string(),
        remediation: z.string(),
        firstSeenAt: z.string(),
      }),
    ),
  })
  .openapi('BaselineCheck');
export type TBaselineCheck = z.infer<typeof ZBaselineCheckSchema>;

const listRoute = defineRoute({
  method: 'get',
  path: '/v1/baseline-checks',
  tags: ['inventory'],
  summary:
    'The latest OpenSCAP baseline check of each host and policy: what ran, the unhandled failing rules with evidence and remediation, or why the host could not check',
  request: { query: ZPageQuerySchema.extend({ assetId: z.uuid().optional() }) },
  responses: { 200: json(pageOf(ZBaselineCheckSchema)) },
});

export function registerBaselineCheckRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const rows = await listBaselineChecks(c.get('services').db, {
      accountId: auditActor(c).accountId,
      assetId: q.assetId,
      after: decodeCursor(q.cursor),
      limit: q.limit + 1,
    });
    return c.json(page(rows, q.limit), 200);
  });
}
