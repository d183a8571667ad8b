import { and, eq } from 'drizzle-orm';
import { agentJobs } from '../../db/schema/agents.js';
import { deliverOutcome, type DeliveryDeps } from './job-delivery.js';

export interface CancelAgentJobsRequest {
  accountId: string;
  group: string;
  /** Only this asset's jobs of the group. */
  assetId?: string;
}

/**
 * Cancels a group's jobs: pending ones end cancelled at once (no agent will start them, and their waiting
 * activities are told), running ones are flagged so that the agent's next heartbeat answers `cancel`.
 */
export async function cancelAgentJobs(
  deps: DeliveryDeps,
  req: CancelAgentJobsRequest,
): Promise<{ cancelled: number }> {
  const ofGroup = and(
    eq(agentJobs.accountId, req.accountId),
    eq(agentJobs.group, req.group),
    req.assetId === undefined ? undefined : eq(agentJobs.assetId, req.assetId),
  );
  const now = new Date();
  const pending = await deps.db
    .update(agentJobs)
    .set({ status: 'cancelled', cancelRequested: true, finishedAt: now })
    .where(and(ofGroup, eq(agentJobs.status, 'pending')))
    .returning();
  const running = await deps.db
    .update(agentJobs)
    .set({ cancelRequested: true })
    .where(and(ofGroup, eq(agentJobs.status, 'running')))
    .returning({ id: agentJobs.id });
  for (const row of pending) await deliverOutcome(deps, row);
  return { cancelled: pending.length + running.length };
}
