import {
  ActivityCancelledError,
  ActivityCompletionError,
  ActivityNotFoundError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { agentJobs } from '../../db/schema/agents.js';
import type { Logger } from '../../platform/logger.js';

export type AgentJobRow = typeof agentJobs.$inferSelect;

/** What a relayed heartbeat learned about the waiting activity. */
export type ActivityState = 'alive' | 'cancelRequested' | 'gone' | 'unknown';

export interface DeliveryDeps {
  db: Database;
  temporal: Client;
  logger: Logger;
}

/** What `runAgentJob` returns for a finished job. */
export interface AgentJobResult {
  jobId: string;
  status: 'succeeded' | 'failed';
  exitCode: number;
  output: string;
  details: Record<string, unknown>;
  startedAt: string | null;
  finishedAt: string;
}

/** The activity's return value for a finished job. */
export function toAgentJobResult(row: AgentJobRow): AgentJobResult {
  return {
    jobId: row.id,
    status: row.status === 'succeeded' ? 'succeeded' : 'failed',
    exitCode: row.exitCode ?? -1,
    output: row.output,
    details: row.details,
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: (row.finishedAt ?? row.updatedAt).toISOString(),
  };
}

/**
 * Heartbeats the activity waiting for a job. Cancellation requested by the workflow comes back as
 * `cancelRequested`; an attempt that timed out or a workflow that ended comes back as `gone`, and the stale token
 * is dropped so that only a new attempt (which attaches its own token) can pick the job up again.
 */
export async function relayHeartbeat(
  deps: DeliveryDeps,
  job: Pick<AgentJobRow, 'id' | 'taskToken'>,
  details?: unknown,
): Promise<ActivityState> {
  if (!job.taskToken) return 'gone';
  try {
    await deps.temporal.activity.heartbeat(job.taskToken, details);
    return 'alive';
  } catch (err) {
    if (err instanceof ActivityCancelledError) {
      await deps.db.update(agentJobs).set({ cancelRequested: true }).where(eq(agentJobs.id, job.id));
      return 'cancelRequested';
    }
    if (err instanceof ActivityNotFoundError) {
      await deps.db
        .update(agentJobs)
        .set({ taskToken: null })
        .where(and(eq(agentJobs.id, job.id), sql`${agentJobs.taskToken} = ${job.taskToken}`));
      return 'gone';
    }
    // Paused/reset activities and an unreachable Temporal: the agent keeps working, the next heartbeat retries.
    deps.logger.warn({ err, jobId: job.id }, 'agent job heartbeat could not be relayed to Temporal');
    return 'unknown';
  }
}

/**
 * Hands a finished job's outcome to the activity waiting for it: `complete` for succeeded/failed,
 * `reportCancellation` for cancelled. An activity that is gone (timed out, workflow ended) is not an error: the
 * outcome stays stored, and a later attempt with the same job key returns it. Throws only when Temporal could not
 * be reached, so that the agent resends and delivery is tried again. Marks the job delivered afterwards, or — with
 * `markedDelivered`, when the statement that finished the job marked it already — takes the mark back on failure.
 */
export async function deliverOutcome(
  deps: DeliveryDeps,
  row: AgentJobRow,
  opts: { markedDelivered?: boolean } = {},
): Promise<'delivered' | 'gone'> {
  let outcome: 'delivered' | 'gone' = 'delivered';
  if (!row.taskToken) {
    outcome = 'gone';
  } else {
    try {
      if (row.status === 'cancelled') {
        await reportCancelled(deps, row.taskToken, row.id);
      } else {
        await deps.temporal.activity.complete(row.taskToken, toAgentJobResult(row));
      }
    } catch (err) {
      if (!(err instanceof ActivityNotFoundError)) {
        // Still to deliver: the agent resends its result, and that delivers it.
        if (opts.markedDelivered) {
          await deps.db.update(agentJobs).set({ deliveredAt: null }).where(eq(agentJobs.id, row.id));
        }
        throw err;
      }
      deps.logger.info({ jobId: row.id, status: row.status }, 'agent job result kept; its activity is gone');
      outcome = 'gone';
    }
  }
  if (!opts.markedDelivered) {
    await deps.db.update(agentJobs).set({ deliveredAt: new Date() }).where(eq(agentJobs.id, row.id));
  }
  return outcome;
}

/** Failure type of an activity whose job was cancelled on Vigil's side (`cancelAgentJobs`), not by its workflow. */
export const AGENT_JOB_CANCELLED_FAILURE = 'AgentJobCancelled';

/**
 * Temporal accepts `reportCancellation` only after the workflow asked to cancel the activity. A job cancelled on
 * Vigil's side (a group cancel) fails its activity instead, non-retryably, with a type the caller can recognise.
 */
async function reportCancelled(deps: DeliveryDeps, taskToken: Buffer, jobId: string): Promise<void> {
  try {
    await deps.temporal.activity.reportCancellation(taskToken, { jobId });
  } catch (err) {
    if (!(err instanceof ActivityCompletionError)) throw err;
    await deps.temporal.activity.fail(
      taskToken,
      ApplicationFailure.nonRetryable(`agent job ${jobId} was cancelled`, AGENT_JOB_CANCELLED_FAILURE, {
        jobId,
      }),
    );
  }
}
