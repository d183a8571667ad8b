import type { AgentJobResult } from '../agents/run-agent-job.js';
import { createAgentActivities, type AgentJobRequest } from '../agents/run-agent-job.js';
import { agentIsOnline, agentLastSeen } from '../../services/agents/agent-presence.js';
import { endAsset, type AssetEnd } from '../../db/playbook/asset-end.js';
import { beginAsset, type VulnerabilityToFix } from '../../db/playbook/begin-asset.js';
import { finishExecution, type StopReason } from '../../db/playbook/finish-execution.js';
import { beginStep, endStep, type StepBegin, type StepEnd, type StepKeys } from '../../db/playbook/steps.js';
import { writeLog, type TaskLogEntry } from '../../db/playbook/task-log.js';
import {
  loadBatchAssets,
  loadTaskPlan,
  setTaskStatus,
  taskRow,
  type TaskPlan,
} from '../../db/playbook/task-run.js';
import type { StepKind, StepStatus } from '../../domain/playbook/status.js';
import {
  buildTaskNotification,
  type TaskNotificationEvent,
} from '../../services/playbook/task-notification.js';
import type { ActivityDeps } from '../index.js';

export type { AssetEnd, StepBegin, StepEnd, StepKeys, TaskNotificationEvent, TaskPlan, VulnerabilityToFix };

/**
 * The task's side effects as activities, each a call into the hot-path statements of db/playbook/. Each one is
 * idempotent — keyed by task, execution, asset, step — and guarded by the status machines, so a retried or replayed
 * call changes nothing twice.
 */
export function createPlaybookActivities(deps: ActivityDeps) {
  const { db } = deps;
  const agentActivities = createAgentActivities(deps);
  return {
    playbookLoadTaskPlan: (req: { taskId: string; execution: number }): Promise<TaskPlan> =>
      loadTaskPlan(db, req),

    playbookSetTaskStatus: (req: Parameters<typeof setTaskStatus>[1]) => setTaskStatus(db, req),

    playbookLoadBatchAssets: (req: Parameters<typeof loadBatchAssets>[1]) => loadBatchAssets(db, req),

    /** Precheck on the server side: the agent is online and which selected vulnerabilities are still present. */
    playbookBeginAsset: (req: StepKeys) =>
      beginAsset(db, req, agentLastSeen(db, req.accountId, req.assetId), () =>
        agentIsOnline(db, req.accountId, req.assetId),
      ),

    async playbookBeginStep(req: StepKeys & StepBegin): Promise<{ stepId: string }> {
      return { stepId: await beginStep(db, req, req) };
    },

    /** A step's end by its id, with the job's result (histories from before `playbookRunStep` call this). */
    async playbookEndStep(
      req: StepKeys & {
        stepId: string;
        kind: StepKind;
        status: StepStatus;
        result: AgentJobResult | null;
        error: string | null;
      },
    ): Promise<void> {
      await endStep(db, req, {
        stepId: req.stepId,
        status: req.status,
        jobId: req.result?.jobId ?? null,
        exitCode: req.result?.exitCode ?? null,
        error: req.error,
      });
    },

    playbookEndAsset: (req: StepKeys & AssetEnd): Promise<void> => endAsset(db, req, req),

    /**
     * One host step as one activity: writes the ends of the steps before it that are not known to be written yet,
     * begins this step and hands its job to the agent, completing asynchronously with the agent's result like
     * `runAgentJob`. Every part is idempotent, so a retried attempt re-attaches to the same step and job.
     */
    async playbookRunStep(
      req: StepKeys & {
        ends: StepEnd[];
        begin: StepBegin;
        job: Omit<AgentJobRequest, 'accountId' | 'assetId'>;
      },
    ): Promise<AgentJobResult> {
      for (const end of req.ends) await endStep(db, req, end);
      await beginStep(db, req, req.begin);
      return agentActivities.runAgentJob({ ...req.job, accountId: req.accountId, assetId: req.assetId });
    },

    /**
     * The ends of an asset's last steps and, with `asset`, the asset's own end. Each is one idempotent statement, so
     * a retry after a crash between them completes the rest.
     */
    async playbookEndSteps(req: StepKeys & { ends: StepEnd[]; asset?: AssetEnd }): Promise<void> {
      for (const end of req.ends) await endStep(db, req, end);
      if (req.asset) await endAsset(db, req, req.asset);
    },

    /** Ends an execution: assets never started get their reason, and the task its final status from the counts. */
    playbookFinishExecution: (req: {
      taskId: string;
      execution: number;
      cancelled: boolean;
      stopReason: StopReason | null;
    }) => finishExecution(db, req),

    playbookBuildNotification: (req: { taskId: string; execution: number; event: TaskNotificationEvent }) =>
      buildTaskNotification(deps, req),

    async playbookLog(req: Omit<TaskLogEntry, 'accountId' | 'assetId' | 'stepId'>): Promise<void> {
      const task = await taskRow(db, req.taskId);
      await writeLog(db, { ...req, accountId: task.accountId });
    },
  };
}

export type PlaybookActivities = ReturnType<typeof createPlaybookActivities>;
