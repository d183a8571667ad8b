import { and, eq, isNotNull } from 'drizzle-orm';
import { agentJobs } from '../../db/schema/agents.js';
import type { AgentCaller } from './agent-token-cache.js';
import type { AgentJobRow, DeliveryDeps } from './job-delivery.js';

/*
 * What the server side of the agent protocol (claim, heartbeat, output and result) may touch: the jobs of one agent's
 * asset. Every lookup is scoped to the agent's own asset, so a token never reaches another asset's job.
 */

/** Jobs of the asset an agent may claim now. */
export const claimable = (assetId: string) =>
  and(
    eq(agentJobs.assetId, assetId),
    eq(agentJobs.status, 'pending'),
    isNotNull(agentJobs.taskToken),
    eq(agentJobs.cancelRequested, false),
  );

/** Jobs the agent holds as running (lost ones, when it asks for new work). */
export const heldBy = (agent: AgentCaller) =>
  and(
    eq(agentJobs.assetId, agent.assetId),
    eq(agentJobs.status, 'running'),
    eq(agentJobs.agentId, agent.agentId),
  );

/** The agent's own job by id (an update or read scoped to its asset and account). */
export const ownJob = (agent: AgentCaller, jobId: string) =>
  and(
    eq(agentJobs.id, jobId),
    eq(agentJobs.assetId, agent.assetId),
    eq(agentJobs.accountId, agent.accountId),
  );

/** One of this asset's jobs, or null (another asset's job is indistinguishable from a missing one). */
export async function findAgentJob(
  deps: DeliveryDeps,
  agent: AgentCaller,
  jobId: string,
): Promise<AgentJobRow | null> {
  const [row] = await deps.db
    .select()
    .from(agentJobs)
    .where(
      and(
        eq(agentJobs.id, jobId),
        eq(agentJobs.assetId, agent.assetId),
        eq(agentJobs.accountId, agent.accountId),
      ),
    );
  return row ?? null;
}
