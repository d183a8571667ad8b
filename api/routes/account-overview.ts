import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { assetsByAgentStatus } from '../../services/inventory/agent-status-counts.js';
import { memberRisks } from '../../services/multi-account/risk-views.js';
import { SEVERITIES } from '../../domain/findings.js';
import type { AppEnv } from '../context.js';
import { defineRoute, json } from '../router.js';

const ZSeverityCountsSchema = z.object(
  Object.fromEntries(SEVERITIES.map((s) => [s, z.number().int()])) as Record<
    (typeof SEVERITIES)[number],
    z.ZodNumber
  >,
);

export const ZAccountOverviewSchema = z
  .object({
    score: z.number().int().min(0).max(100),
    openVulnerabilities: ZSeverityCountsSchema,
    unhandledAlerts: ZSeverityCountsSchema,
    assets: z.object({ online: z.number().int(), offline: z.number().int(), none: z.number().int() }),
  })
  .openapi('AccountOverview');
export type TAccountOverview = z.infer<typeof ZAccountOverviewSchema>;

const overviewRoute = defineRoute({
  method: 'get',
  path: '/v1/account/overview',
  tags: ['account'],
  summary:
    "The caller's security score, open vulnerabilities and unhandled alerts by severity, and assets by agent status",
  responses: { 200: json(ZAccountOverviewSchema) },
});

/** The console's Overview page reads this; a member's risk view uses the same counts (kept by triggers). */
export function registerAccountOverviewRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(overviewRoute, async (c) => {
    const { db } = c.get('services');
    const { accountId } = c.get('caller');
    const [risks, agents] = await Promise.all([
      memberRisks(db, accountId),
      assetsByAgentStatus(db, accountId),
    ]);
    return c.json(
      {
        score: risks.score,
        openVulnerabilities: risks.openVulnerabilities,
        unhandledAlerts: risks.unhandledAlerts,
        assets: agents,
      },
      200,
    );
  });
}
