import { and, asc, eq, sql } from 'drizzle-orm';
import { agentJobs } from '../../db/schema/agents.js';
import { claimable } from './agent-job-scope.js';
import type { AgentCaller } from './agent-token-cache.js';
import { finishCancelled } from './finish-cancelled-job.js';
import { relayHeartbeat, type AgentJobRow, type DeliveryDeps } from './job-delivery.js';

/**
 * Takes the asset's oldest claimable job and marks it running. Before handing it out the waiting activity is
 * heartbeated (unless its caller pushes cancellation into the job rows itself): a cancelled one ends the job
 * cancelled, a gone one (attempt timed out) puts the job back without a token until a new attempt attaches. Returns
 * null when nothing is claimable now.
 */
export async function claimNextJob(deps: DeliveryDeps, agent: AgentCaller): Promise<AgentJobRow | null> {
  for (;;) {
    const claimedAt = new Date();
    // One statement: the oldest claimable job, skipping one a concurrent poll of the same agent is taking.
    const oldest = deps.db
      .select({ id: agentJobs.id })
      .from(agentJobs)
      .where(claimable(agent.assetId))
      .orderBy(asc(agentJobs.id))
      .limit(1)
      .for('update', { skipLocked: true });
    const [job] = await deps.db
      .update(agentJobs)
      .set({ status: 'running', agentId: agent.agentId, claimedAt, heartbeatAt: claimedAt })
      .where(and(sql`${agentJobs.id} = (${oldest})`, claimable(agent.assetId)))
      .returning();
    if (!job) return null;
    if (!job.checkCancelOnClaim) return job;
    const state = await relayHeartbeat(deps, job, { phase: 'claimed' });
    if (state === 'cancelRequested') {
      await finishCancelled(deps, job.id, 'cancelled before the agent started it');
      continue;
    }
    if (state === 'gone') {
      await deps.db
        .update(agentJobs)
        .set({
          status: 'pending',
          agentId: null,
          claimedAt: null,
          taskToken: sql`case when ${agentJobs.taskToken} = ${job.taskToken} then null else ${agentJobs.taskToken} end`,
        })
        .where(
          and(eq(agentJobs.id, job.id), eq(agentJobs.status, 'running'), eq(agentJobs.claimedAt, claimedAt)),
        );
      continue;
    }
    return job;
  }
}
