import { activityInfo, ApplicationFailure, CompleteAsyncError } from '@temporalio/activity';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';
import { agentJobs, agents } from '../../db/schema/agents.js';
import { assets } from '../../db/schema/inventory.js';
import { AGENT_JOB_KINDS, type AgentJobKind } from '../../domain/agent-jobs.js';
import { uuidv7 } from '../../domain/ids.js';
import type { ActivityDeps } from '../index.js';
import {
  AGENT_JOB_CANCELLED_FAILURE,
  toAgentJobResult,
  type AgentJobResult,
} from '../../services/agents/job-delivery.js';
import { cancelAgentJobs, type CancelAgentJobsRequest } from '../../services/agents/cancel-agent-jobs.js';
import { AGENT_JOB_CHANNEL, notifyJobCreated } from '../../services/agents/job-notifier.js';

export type { AgentJobKind, AgentJobResult };

export interface AgentJobRequest {
  accountId: string;
  assetId: string;
  kind: AgentJobKind;
  /**
   * Unique per logical job, e.g. `${taskId}:${execution}:${assetId}:${vulnId ?? '-'}:${step}:${attempt}`. A retried
   * activity with the same key reuses the one job row: if the job already has a result, the activity completes at
   * once with it (the host work never runs twice); if it is still pending/running, the new attempt's task token
   * replaces the old and the activity keeps waiting.
   */
  jobKey: string;
  /** e.g. { packageName, fixedVersion, kbId, cmsComponent, dryRun, vulnerabilityName, config, revision } */
  payload: Record<string, unknown>;
  /** Optional grouping for logs/cancellation: e.g. `playbook-task:<taskId>` or `member-settings:<memberId>`. */
  group?: string;
  /** Human text shown to the agent/operator, e.g. "fix CVE-2024-6387 (openssh-server) on web-01". */
  summary?: string;
  /**
   * The caller cancels its jobs in the database (`cancelAgentJobs`) as soon as its activity's cancellation is
   * requested, so claims need not ask Temporal about each job first.
   */
  cancelPushed?: boolean;
}

/** Failure types thrown by `runAgentJob` (all non-retryable: retrying cannot change them). */
export const AGENT_JOB_FAILURES = {
  assetNotFound: 'AgentJobAssetNotFound',
  noAgent: 'AgentNotEnrolled',
  badRequest: 'AgentJobBadRequest',
  cancelled: AGENT_JOB_CANCELLED_FAILURE,
} as const;

/**
 * Host work as activities that complete asynchronously (DESIGN §1): the activity records a job row with its task
 * token and returns; the agent pulls the job over HTTPS and the API completes the activity with the agent's result.
 */
export function createAgentActivities(deps: ActivityDeps) {
  /** Wakes the asset's long poll: in this process at once, in API processes elsewhere through Postgres NOTIFY. */
  const announce = async (assetId: string) => {
    notifyJobCreated(assetId);
    if (deps.dbDriver === 'postgres') {
      await deps.db.execute(sql`select pg_notify(${AGENT_JOB_CHANNEL}, ${assetId})`);
    }
  };
  return {
    /**
     * Records the job (once per job key) and completes asynchronously when the agent posts its result. A non-zero
     * exit code is a normal result with status `failed`; a missed heartbeat fails the activity (the caller's
     * retries apply). Call with `heartbeatTimeout` and `cancellationType: WAIT_CANCELLATION_COMPLETED`.
     */
    async runAgentJob(req: AgentJobRequest): Promise<AgentJobResult> {
      if (!(AGENT_JOB_KINDS as readonly string[]).includes(req.kind)) {
        throw ApplicationFailure.nonRetryable(
          `unknown agent job kind "${req.kind}"`,
          AGENT_JOB_FAILURES.badRequest,
        );
      }
      const info = activityInfo();
      const attach = {
        taskToken: Buffer.from(info.taskToken),
        attempt: info.attempt,
        workflowId: info.workflowExecution?.workflowId ?? null,
        activityId: info.activityId,
      };
      // One statement: the asset (this account's, with an agent), the job row once per key, and the wake-up of
      // API processes elsewhere (NOTIFY is sent when the statement commits, only for a job it created).
      const notify =
        deps.dbDriver === 'postgres'
          ? sql`, (select pg_notify(${AGENT_JOB_CHANNEL}, ${req.assetId}) from created) as notified`
          : sql``;
      const [target] = await queryRows<{ agent_id: string | null; created_id: string | null }>(
        deps.db,
        sql`with target as (
          select a.id as asset_id, g.id as agent_id
          from ${assets} a left join ${agents} g on g.asset_id = a.id
          where a.account_id = ${req.accountId} and a.id = ${req.assetId}
        ), created as (
          insert into ${agentJobs} (id, account_id, asset_id, job_key, kind, payload, "group", summary,
            task_token, attempt, workflow_id, activity_id, check_cancel_on_claim)
          select ${uuidv7()}::uuid, ${req.accountId}::uuid, asset_id, ${req.jobKey}::text, ${req.kind}::text,
            ${JSON.stringify(req.payload)}::jsonb, ${req.group ?? null}::text, ${req.summary ?? null}::text,
            ${attach.taskToken}::bytea, ${attach.attempt}::int, ${attach.workflowId}::text, ${attach.activityId}::text,
            ${req.cancelPushed !== true}::boolean
          from target where agent_id is not null
          on conflict do nothing
          returning id
        )
        select t.agent_id, c.id as created_id ${notify} from target t left join created c on true`,
      );
      if (!target) {
        throw ApplicationFailure.nonRetryable(
          `asset ${req.assetId} not found`,
          AGENT_JOB_FAILURES.assetNotFound,
        );
      }
      if (!target.agent_id) {
        throw ApplicationFailure.nonRetryable(
          `asset ${req.assetId} has no agent; enroll one with an enrollment token`,
          AGENT_JOB_FAILURES.noAgent,
        );
      }
      if (target.created_id) {
        notifyJobCreated(req.assetId);
        throw new CompleteAsyncError();
      }
      // Same job key again: a retried activity. Attach to the unfinished job, or return the finished one's result.
      const [attached] = await deps.db
        .update(agentJobs)
        .set(attach)
        .where(
          and(
            eq(agentJobs.accountId, req.accountId),
            eq(agentJobs.jobKey, req.jobKey),
            eq(agentJobs.assetId, req.assetId),
            inArray(agentJobs.status, ['pending', 'running']),
          ),
        )
        .returning({ id: agentJobs.id, status: agentJobs.status });
      if (attached) {
        if (attached.status === 'pending') await announce(req.assetId);
        throw new CompleteAsyncError();
      }
      const [row] = await deps.db
        .select()
        .from(agentJobs)
        .where(and(eq(agentJobs.accountId, req.accountId), eq(agentJobs.jobKey, req.jobKey)));
      if (!row || row.assetId !== req.assetId) {
        throw ApplicationFailure.nonRetryable(
          `job key "${req.jobKey}" belongs to another asset`,
          AGENT_JOB_FAILURES.badRequest,
        );
      }
      if (row.status === 'cancelled') {
        throw ApplicationFailure.nonRetryable(
          `agent job ${row.id} was cancelled`,
          AGENT_JOB_FAILURES.cancelled,
        );
      }
      // The first attempt's delivery may have been lost; this attempt returns the stored outcome instead.
      return toAgentJobResult(row);
    },

    /**
     * Cancels a group's jobs: pending ones end cancelled at once (no agent will start them, and their waiting
     * activities are told), running ones are flagged so that the agent's next heartbeat answers `cancel`.
     */
    async cancelAgentJobs(req: CancelAgentJobsRequest): Promise<{ cancelled: number }> {
      return cancelAgentJobs(deps, req);
    },
  };
}

export type AgentActivities = ReturnType<typeof createAgentActivities>;
