import { and, asc, eq, getTableColumns, inArray, isNotNull, isNull, ne, or, sql } from 'drizzle-orm';
import { agentJobs } from '../../db/schema/agents.js';
import type { TJobResultRequest, TOutputChunk } from '../../domain/agent-jobs.js';
import type { AgentCaller } from './register-agent.js';
import { deliverOutcome, relayHeartbeat, type AgentJobRow, type DeliveryDeps } from './job-delivery.js';
import { jobGeneration, rememberEmptyLook, type PendingProbe } from './job-notifier.js';

/**
 * The server side of the agent protocol: claim, heartbeat, output and result for the jobs of one agent's asset.
 * Every lookup is scoped to the agent's own asset, so a token never reaches another asset's job.
 */

const claimable = (assetId: string) =>
  and(
    eq(agentJobs.assetId, assetId),
    eq(agentJobs.status, 'pending'),
    isNotNull(agentJobs.taskToken),
    eq(agentJobs.cancelRequested, false),
  );

/** Jobs the agent holds as running (lost ones, when it asks for new work). */
const heldBy = (agent: AgentCaller) =>
  and(
    eq(agentJobs.assetId, agent.assetId),
    eq(agentJobs.status, 'running'),
    eq(agentJobs.agentId, agent.agentId),
  );

/**
 * The database probe long polls share: which of these assets have claimable jobs. It reads the assets of all pending
 * jobs (a partial index holds just those) rather than sending the waiting assets: with ten thousand idle agents a
 * list of their ids was the API's most expensive statement to build and send.
 */
export function pendingProbe(deps: DeliveryDeps): PendingProbe {
  return {
    async find(assetIds) {
      const rows = await deps.db
        .selectDistinct({ assetId: agentJobs.assetId })
        .from(agentJobs)
        .where(and(eq(agentJobs.status, 'pending'), isNotNull(agentJobs.taskToken)));
      const waiting = new Set(assetIds);
      return rows.map((r) => r.assetId).filter((a) => waiting.has(a));
    },
    onError: (err) => deps.logger.warn({ err }, 'agent job probe failed'),
  };
}

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

async function finishCancelled(deps: DeliveryDeps, jobId: string, reason: string): Promise<void> {
  const [row] = await deps.db
    .update(agentJobs)
    .set({ status: 'cancelled', finishedAt: new Date(), details: { reason } })
    .where(and(eq(agentJobs.id, jobId), inArray(agentJobs.status, ['pending', 'running'])))
    .returning();
  if (row) await deliverOutcome(deps, row);
}

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

export type AppendOutcome = { ok: true; length: number } | { ok: false; expectedOffset: number };

/**
 * Appends an output chunk exactly once: a chunk already stored (same offset) is skipped, an overlapping one adds
 * only its new part, and a gap is refused with the offset the agent must resend from.
 */
export async function appendOutput(
  deps: DeliveryDeps,
  job: AgentJobRow,
  chunk: TOutputChunk,
): Promise<AppendOutcome> {
  let length = job.outputLength;
  for (let tries = 0; tries < 5; tries++) {
    if (chunk.offset > length) return { ok: false, expectedOffset: length };
    const fresh = chunk.data.slice(length - chunk.offset);
    if (fresh.length === 0) return { ok: true, length };
    const [row] = await deps.db
      .update(agentJobs)
      .set({ output: sql`${agentJobs.output} || ${fresh}`, outputLength: length + fresh.length })
      .where(
        and(eq(agentJobs.id, job.id), eq(agentJobs.outputLength, length), eq(agentJobs.status, 'running')),
      )
      .returning({ outputLength: agentJobs.outputLength });
    if (row) return { ok: true, length: row.outputLength };
    const [now] = await deps.db
      .select({ outputLength: agentJobs.outputLength, status: agentJobs.status })
      .from(agentJobs)
      .where(eq(agentJobs.id, job.id));
    if (!now || now.status !== 'running') return { ok: true, length: now?.outputLength ?? length };
    length = now.outputLength;
  }
  return { ok: false, expectedOffset: length };
}

/** The agent's first heartbeat this soon after a claim that heartbeated the activity is not relayed again. */
const CLAIM_RELAY_GRACE_MS = 1_000;
const pendingKeepAlive = new Map<string, number>();
const PENDING_KEEPALIVE_INTERVAL_MS = 1_000;

/** The agent's own job by id (an update or read scoped to its asset and account). */
const ownJob = (agent: AgentCaller, jobId: string) =>
  and(
    eq(agentJobs.id, jobId),
    eq(agentJobs.assetId, agent.assetId),
    eq(agentJobs.accountId, agent.accountId),
  );

/**
 * A heartbeat from the agent about its running job. Relays it to the waiting activity, records progress, and
 * answers whether the agent must cancel (the workflow cancelled the activity, or `cancelAgentJobs` flagged it).
 * The same heartbeat keeps the asset's queued jobs alive: they wait for a live agent that is busy, and a dead
 * agent's queued jobs time out like its running one. Null when the job is not this agent's. The usual heartbeat of
 * a running job is one statement (the update returns the row).
 */
export async function recordHeartbeat(
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
  const last = pendingKeepAlive.get(agent.assetId) ?? 0;
  if (Date.now() - last < PENDING_KEEPALIVE_INTERVAL_MS) return;
  pendingKeepAlive.set(agent.assetId, Date.now());
  const queued = await deps.db
    .select()
    .from(agentJobs)
    .where(and(claimable(agent.assetId), ne(agentJobs.id, runningJobId)));
  for (const job of queued) {
    const state = await relayHeartbeat(deps, job, { phase: 'queued' });
    if (state === 'cancelRequested') await finishCancelled(deps, job.id, 'cancelled while queued');
  }
}

/**
 * Stores the agent's result once and hands it to the waiting activity. A resent result for a finished job is
 * acknowledged (and its delivery retried if Temporal was unreachable the first time), never applied twice. Null
 * when the job is not this agent's. The usual result is one statement and one call to Temporal: the update marks
 * the outcome delivered, and a delivery that fails takes the mark back.
 */
export async function recordResult(
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
