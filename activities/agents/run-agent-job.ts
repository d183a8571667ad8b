import { activityInfo, ApplicationFailure, CompleteAsyncError } from '@temporalio/activity';
import { AGENT_JOB_KINDS, type AgentJobKind } from '../../domain/agent-jobs.js';
import type { ActivityDeps } from '../index.js';
import {
  AGENT_JOB_CANCELLED_FAILURE,
  toAgentJobResult,
  type AgentJobResult,
} from '../../services/agents/job-delivery.js';
import { cancelAgentJobs, type CancelAgentJobsRequest } from '../../services/agents/cancel-agent-jobs.js';
import { recordAgentJob } from '../../services/agents/record-agent-job.js';

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
      const recorded = await recordAgentJob(deps, req, {
        taskToken: Buffer.from(info.taskToken),
        attempt: info.attempt,
        workflowId: info.workflowExecution?.workflowId ?? null,
        activityId: info.activityId,
      });
      switch (recorded.state) {
        case 'assetNotFound':
          throw ApplicationFailure.nonRetryable(
            `asset ${req.assetId} not found`,
            AGENT_JOB_FAILURES.assetNotFound,
          );
        case 'noAgent':
          throw ApplicationFailure.nonRetryable(
            `asset ${req.assetId} has no agent; enroll one with an enrollment token`,
            AGENT_JOB_FAILURES.noAgent,
          );
        case 'waiting':
          throw new CompleteAsyncError();
        case 'otherAsset':
          throw ApplicationFailure.nonRetryable(
            `job key "${req.jobKey}" belongs to another asset`,
            AGENT_JOB_FAILURES.badRequest,
          );
        case 'cancelled':
          throw ApplicationFailure.nonRetryable(
            `agent job ${recorded.row.id} was cancelled`,
            AGENT_JOB_FAILURES.cancelled,
          );
      }
      // The first attempt's delivery may have been lost; this attempt returns the stored outcome instead.
      return toAgentJobResult(recorded.row);
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
