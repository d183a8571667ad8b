import { and, isNull, sql } from 'drizzle-orm';
import { agentJobs } from '../../db/schema/agents.js';
import { heldBy } from './agent-job-scope.js';
import type { AgentCaller } from './agent-token-cache.js';
import { deliverOutcome, type DeliveryDeps } from './job-delivery.js';

/**
 * Jobs this agent holds as running when it asks for new work were lost (the agent restarts or crashed mid-job and
 * polls only when idle). They end failed with exit code -1 so the waiting step fails now instead of at its
 * heartbeat timeout; whether the host work happened is unknown, which the output says. Called when
 * `inspectAgentJobs` found the agent holding jobs (an idle agent holds none, so the usual poll never gets here).
 */
export async function failLostJobs(deps: DeliveryDeps, agent: AgentCaller): Promise<number> {
  const mine = heldBy(agent);
  // Handed out but never started (the response was lost, or the agent died before its first heartbeat): safe to
  // hand out again.
  await deps.db
    .update(agentJobs)
    .set({ status: 'pending', agentId: null, claimedAt: null })
    .where(and(mine, isNull(agentJobs.startedAt)));
  const lost = await deps.db
    .update(agentJobs)
    .set({
      status: 'failed',
      exitCode: -1,
      finishedAt: new Date(),
      details: {
        lost: true,
        reason: 'the agent asked for new work while this job was running (restart or crash)',
      },
      output: sql`${agentJobs.output} || ${LOST_NOTE}`,
      outputLength: sql`${agentJobs.outputLength} + ${LOST_NOTE.length}`,
    })
    .where(mine)
    .returning();
  for (const row of lost) await deliverOutcome(deps, row);
  return lost.length;
}

const LOST_NOTE =
  '\n[vigil] the agent restarted or lost this job while it was running; its outcome is unknown\n';
