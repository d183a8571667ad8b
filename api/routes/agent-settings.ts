import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { ZUnappliedSettingSchema } from '../../domain/agent-settings.js';
import { listAgentSettings } from '../../services/agents/agent-settings-views.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { decodeCursor, page, pageOf, ZPageQuerySchema } from '../pagination.js';
import { defineRoute, json } from '../router.js';

export const ZAgentSettingsSchema = z
  .object({
    id: z.uuid().describe('The agent id'),
    assetId: z.uuid(),
    assetName: z.string(),
    online: z.boolean(),
    latestRevision: z.number().int().nullable(),
    appliedRevision: z.number().int(),
    unapplied: z.array(ZUnappliedSettingSchema),
    lastError: z.string().nullable(),
    drift: z.boolean(),
  })
  .openapi('AgentSettings');
export type TAgentSettings = z.infer<typeof ZAgentSettingsSchema>;

const listRoute = defineRoute({
  method: 'get',
  path: '/v1/agent-settings',
  tags: ['agents'],
  summary:
    'The protection-settings revision each agent of this account runs, what it could not apply, and whether it drifts',
  request: { query: ZPageQuerySchema },
  responses: { 200: json(pageOf(ZAgentSettingsSchema)) },
});

export function registerAgentSettingsRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const rows = await listAgentSettings(c.get('services').db, {
      accountId: auditActor(c).accountId,
      after: decodeCursor(q.cursor),
      limit: q.limit + 1,
    });
    const items = rows.map(({ agentId, ...r }) => ({ id: agentId, ...r }));
    return c.json(page(items, q.limit), 200);
  });
}
