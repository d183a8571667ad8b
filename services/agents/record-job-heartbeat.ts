import { and, eq, getTableColumns, ne, sql } from 'drizzle-orm';
import { agentJobs } from '../../db/schema/agents.js';
import { claimable, findAgentJob, ownJob } from './agent-job-scope.js';
import type { AgentCaller } from './agent-token-cache.js';
import { finishCancelled } from './finish-cancelled-job.js';
import { IntervalThrottle } from './interval-throttle.js';
import { relayHeartbeat, type DeliveryDeps } from './job-delivery.js';

/** The agent's first heartbeat this soon after a claim that heartbeated the activity is not relayed again. */
const CLAIM_RELAY_GRACE_MS = 1_000;
const PENDING_KEEPALIVE_INTERVAL_MS = 1_000;
/** Per asset: when its queued jobs were last kept alive. */
const pendingKeepAlive = new IntervalThrottle(PENDING_KEEPALIVE_INTERVAL_MS);

/**
 * A heartbeat from the agent about its running job. Relays it to the waiting activity, records progress, and
 * answers whether the agent must cancel (the workflow cancelled the activity, or `cancelAgentJobs` flagged it).
 * The same heartbeat keeps the asset's queued jobs alive: they wait for a live agent that is busy, and a dead
 * agent's queued jobs time out like its running one. Null when the job is not this agent's. The usual heartbeat of
 * a running job is one statement (the update returns the row).
 */
export async function recordJobHeartbeat(
  deps: DeliveryDeps,
  agent: AgentCaller,
  jobId: string,
  progress: Record<string, unknown> | undefined,
): Promise<{ cancel: boolean; outputLength: number } | null> {
  const now = Date.now();
  // The subquery sees the row as it was before this update: whether the agent heartbeated since the claim.
  const previous = deps.db
    .select({ at: agentJobs.heartbeatAt })
    .from(agentJobs)
    .where(eq(agentJobs.id, jobId));
  const [updated] = await deps.db
    .update(agentJobs)
    .set({
      heartbeatAt: new Date(now),
      startedAt: sql`coalesce(${agentJobs.startedAt}, now())`,
      ...(progress ? { progress } : {}),
    })
    .where(and(ownJob(agent, jobId), eq(agentJobs.status, 'running')))
    .returning({
      ...getTableColumns(agentJobs),
      previousHeartbeatAt: sql<Date | null>`(${previous})`.mapWith(agentJobs.heartbeatAt),
    });
  if (!updated) {
    const current = await findAgentJob(deps, agent, jobId);
    return current ? { cancel: current.status === 'cancelled', outputLength: current.outputLength } : null;
  }
  const { previousHeartbeatAt, ...job } = updated;
  // No round trip to Temporal for the agent's first heartbeat when the claim asked a moment ago, or when the job's
  // caller pushes its cancellation into the row (the answer reads it): the activity started moments ago, and the
  // agent's later heartbeats keep it alive.
  const firstSinceClaim =
    job.claimedAt !== null && previousHeartbeatAt?.getTime() === job.claimedAt.getTime();
  const justClaimed = job.claimedAt !== null && now - job.claimedAt.getTime() < CLAIM_RELAY_GRACE_MS;
  if (firstSinceClaim && (justClaimed || !job.checkCancelOnClaim)) {
    return { cancel: job.cancelRequested, outputLength: job.outputLength };
  }
  const state = await relayHeartbeat(deps, job, progress ?? {});
  await keepQueuedJobsAlive(deps, agent, job.id);
  return {
    cancel: job.cancelRequested || state === 'cancelRequested',
    outputLength: job.outputLength,
  };
}

async function keepQueuedJobsAlive(
  deps: DeliveryDeps,
  agent: AgentCaller,
  runningJobId: string,
): Promise<void> {
  if (!pendingKeepAlive.pass(agent.assetId)) return;
  const queued = await deps.db
    .select()
    .from(agentJobs)
    .where(and(claimable(agent.assetId), ne(agentJobs.id, runningJobId)));
  for (const job of queued) {
    const state = await relayHeartbeat(deps, job, { phase: 'queued' });
    if (state === 'cancelRequested') await finishCancelled(deps, job.id, 'cancelled while queued');
  }
}
