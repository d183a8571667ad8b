import { sql } from 'drizzle-orm';
import { agentJobs } from '../../db/schema/agents.js';
import { claimable, heldBy } from './agent-job-scope.js';
import type { AgentCaller } from './agent-token-cache.js';
import type { DeliveryDeps } from './job-delivery.js';

/** In one query: whether the agent holds running jobs (lost, when it asks for work) and whether any is claimable. */
export async function inspectAgentJobs(
  deps: DeliveryDeps,
  agent: AgentCaller,
): Promise<{ held: boolean; claimable: boolean }> {
  const held = deps.db
    .select({ one: sql`1` })
    .from(agentJobs)
    .where(heldBy(agent));
  const ready = deps.db
    .select({ one: sql`1` })
    .from(agentJobs)
    .where(claimable(agent.assetId));
  const [row] = await deps.db
    .select({
      held: sql<boolean>`exists (${held})`.mapWith(Boolean),
      claimable: sql<boolean>`exists (${ready})`.mapWith(Boolean),
    })
    .from(sql`(select 1) as probe`);
  return { held: row?.held ?? false, claimable: row?.claimable ?? false };
}
