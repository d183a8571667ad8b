import { and, eq, inArray } from 'drizzle-orm';
import { agentJobs } from '../../db/schema/agents.js';
import { deliverOutcome, type DeliveryDeps } from './job-delivery.js';

/** Ends a pending or running job cancelled (the agent never started it) and tells its waiting activity. */
export async function finishCancelled(deps: DeliveryDeps, jobId: string, reason: string): Promise<void> {
  const [row] = await deps.db
    .update(agentJobs)
    .set({ status: 'cancelled', finishedAt: new Date(), details: { reason } })
    .where(and(eq(agentJobs.id, jobId), inArray(agentJobs.status, ['pending', 'running'])))
    .returning();
  if (row) await deliverOutcome(deps, row);
}
