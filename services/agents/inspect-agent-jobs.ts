import { and, inArray, sql } from 'drizzle-orm';
import { agentJobs } from '../../db/schema/agents.js';
import type { AgentCaller } from './agent-token-cache.js';
import type { DeliveryDeps } from './job-delivery.js';
import { batcherPerDatabase } from './key-batcher.js';

/** An asset's jobs that are pending or running: all a poll needs to know whether it holds one or may claim one. */
interface ActiveJob {
  status: string;
  agentId: string | null;
  hasToken: boolean;
  cancelRequested: boolean;
}

/**
 * The active jobs of every asset asked about in one turn, in one statement per thousand assets: when a fleet's
 * agents reconnect at once, each first poll would otherwise queue its own query behind the pool.
 */
const activeJobs = batcherPerDatabase<ActiveJob[]>(async (db, assetIds) => {
  const rows = await db
    .select({
      assetId: agentJobs.assetId,
      status: agentJobs.status,
      agentId: agentJobs.agentId,
      hasToken: sql<boolean>`${agentJobs.taskToken} is not null`.mapWith(Boolean),
      cancelRequested: agentJobs.cancelRequested,
    })
    .from(agentJobs)
    .where(and(inArray(agentJobs.assetId, assetIds), inArray(agentJobs.status, ['pending', 'running'])));
  const byAsset = new Map<string, ActiveJob[]>();
  for (const { assetId, ...row } of rows) {
    const list = byAsset.get(assetId) ?? [];
    list.push(row);
    byAsset.set(assetId, list);
  }
  return byAsset;
});

/**
 * Whether the agent holds running jobs (lost, when it asks for work) and whether any is claimable: the conditions of
 * `heldBy` and `claimable`, checked on the asset's active jobs, looked up together with other polls' in one query.
 */
export async function inspectAgentJobs(
  deps: DeliveryDeps,
  agent: AgentCaller,
): Promise<{ held: boolean; claimable: boolean }> {
  const jobs = (await activeJobs(deps.db).get(agent.assetId)) ?? [];
  return {
    held: jobs.some((j) => j.status === 'running' && j.agentId === agent.agentId),
    claimable: jobs.some((j) => j.status === 'pending' && j.hasToken && !j.cancelRequested),
  };
}
