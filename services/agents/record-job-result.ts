import { and, eq, getTableColumns, ne, or, sql } from 'drizzle-orm';
import { agentJobs } from '../../db/schema/agents.js';
import type { TJobResultRequest } from '../../domain/agent-jobs.js';
import { claimable, findAgentJob, heldBy, ownJob } from './agent-job-scope.js';
import type { AgentCaller } from './agent-token-cache.js';
import { deliverOutcome, type AgentJobRow, type DeliveryDeps } from './job-delivery.js';
import { jobGeneration, rememberEmptyLook } from './job-notifier.js';

/**
 * Stores the agent's result once and hands it to the waiting activity. A resent result for a finished job is
 * acknowledged (and its delivery retried if Temporal was unreachable the first time), never applied twice. Null
 * when the job is not this agent's. The usual result is one statement and one call to Temporal: the update marks
 * the outcome delivered, and a delivery that fails takes the mark back.
 */
export async function recordJobResult(
  deps: DeliveryDeps,
  agent: AgentCaller,
  jobId: string,
  result: TJobResultRequest,
): Promise<{ status: AgentJobRow['status']; applied: boolean } | { conflict: string } | null> {
  const now = new Date();
  const since = jobGeneration(agent.assetId);
  // Whether the agent's next poll has anything to look at: a claimable job, or another job it holds (lost). The
  // subquery sees the table as it was before this update, where this job is still running.
  const more = deps.db
    .select({ one: sql`1` })
    .from(agentJobs)
    .where(or(claimable(agent.assetId), and(heldBy(agent), ne(agentJobs.id, jobId))));
  const [updated] = await deps.db
    .update(agentJobs)
    .set({
      status: result.status,
      exitCode: result.exitCode,
      details: result.details,
      finishedAt: now,
      deliveredAt: now,
      startedAt: sql`coalesce(${agentJobs.startedAt}, ${result.startedAt ?? null}::timestamptz, ${agentJobs.claimedAt})`,
      ...(result.output === undefined ? {} : { output: result.output, outputLength: result.output.length }),
    })
    .where(and(ownJob(agent, jobId), eq(agentJobs.status, 'running')))
    .returning({ ...getTableColumns(agentJobs), more: sql<boolean>`exists (${more})`.mapWith(Boolean) });
  if (updated) {
    const { more: pollHasWork, ...row } = updated;
    // The usual case: nothing else for this agent, so its next poll need not look (a job created since bumps the
    // generation and ends that trust).
    if (!pollHasWork) rememberEmptyLook(agent.assetId, since);
    await deliverOutcome(deps, row, { markedDelivered: true });
    return { status: row.status, applied: true };
  }
  const current = await findAgentJob(deps, agent, jobId);
  if (!current) return null;
  if (current.status === 'pending') return { conflict: 'the job is not running; fetch it first' };
  if (current.status !== 'running' && current.deliveredAt === null) await deliverOutcome(deps, current);
  return { status: current.status, applied: false };
}
