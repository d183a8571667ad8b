import {
  CancellationScope,
  condition,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { AgentActivities } from '../../activities/agents/run-agent-job.js';
import type { TaskNotificationEvent } from '../../activities/playbook/task-activities.js';
import type { createNotifyActivities } from '../../activities/notifications/send-notification.js';
import { errorMessage } from '../../domain/errors.js';
import { taskDetails } from '../../domain/playbook/temporal-details.js';
import { emptyAssetCounts, isFinalTaskStatus, type TaskStatus } from '../../domain/playbook/status.js';
import { VigilStatus } from '../search-attributes.js';
import type { playbookBatchWorkflow } from './batch.js';
import {
  batchPauseSignal,
  cancelTaskSignal,
  cancelTaskUpdate,
  pauseTaskUpdate,
  resumeTaskUpdate,
  taskProgressQuery,
  type StopReason,
} from './messages.js';
import { db } from './task-db.js';

const { cancelAgentJobs } = proxyActivities<AgentActivities>({
  startToCloseTimeout: '60s',
  retry: { maximumAttempts: 10 },
  summary: 'cancel the task’s agent jobs',
});
const { sendNotification } = proxyActivities<ReturnType<typeof createNotifyActivities>>({
  // SEND_NOTIFICATION_TIMEOUT_MS (domain/notifications.ts): claim wait + rate-limit wait + retried sends.
  startToCloseTimeout: '5m',
  retry: { maximumAttempts: 3, initialInterval: '5s' },
});

/**
 * The state of one execution of a task's workflow, and what changes it: status, pause, cancellation, progress.
 * The workflow body runs the task; the handlers installed by `installTaskHandlers` steer it through this object.
 */
export class TaskRun {
  status: TaskStatus = 'Waiting';
  paused = false;
  cancelRequested = false;
  finished = false;
  stopReason: StopReason | null = null;
  batchesDone = 0;
  batchesTotal = 0;
  currentBatch: ChildWorkflowHandle<typeof playbookBatchWorkflow> | null = null;
  readonly counts = emptyAssetCounts();
  /** The dispatching work; a cancellation cancels it. */
  readonly work = new CancellationScope();
  /** Set by a cancellation: the status write and the agent jobs' cancellation, awaited before the end. */
  cleanup: Promise<void> | null = null;

  constructor(
    readonly taskId: string,
    readonly accountId: string,
    readonly execution: number,
  ) {}

  get group(): string {
    return `playbook-task:${this.taskId}`;
  }

  /** The progress table in the Temporal UI. */
  show(): void {
    const { status, paused, execution, batchesDone, batchesTotal, counts } = this;
    setCurrentDetails(taskDetails({ status, paused, execution, batchesDone, batchesTotal, counts }));
  }

  /** The task's next status as the database's status machine allows it, and in the search attributes. */
  async setStatus(next: TaskStatus): Promise<void> {
    const r = await db.playbookSetTaskStatus({
      taskId: this.taskId,
      execution: this.execution,
      status: next,
    });
    this.status = r.status;
    upsertSearchAttributes([{ key: VigilStatus, value: this.status }]);
    this.show();
  }

  /** Cancel (update, signal or Temporal's own): no new assets; running agent jobs are told, pending ones end. */
  requestCancel(): void {
    if (this.cancelRequested || this.finished) return;
    this.cancelRequested = true;
    if (this.status !== 'Waiting') this.status = 'Cancelling';
    // Running agent jobs hear the cancellation on their next heartbeat; pending ones end at once.
    this.cleanup = CancellationScope.nonCancellable(async () => {
      if (this.status === 'Cancelling') await this.setStatus('Cancelling');
      await cancelAgentJobs({ accountId: this.accountId, group: this.group });
    });
    this.work.cancel();
  }

  /** Sends the task's start, end or cancel message; a failed delivery is logged on the task, never its outcome. */
  async notify(event: TaskNotificationEvent): Promise<void> {
    const { taskId, execution } = this;
    const built = await db.playbookBuildNotification({ taskId, execution, event });
    if (!built) return;
    const log = { taskId, execution, dedupeKey: `notify:${event}`, event: 'notify' };
    try {
      const r = await sendNotification({
        accountId: this.accountId,
        channelIds: built.channelIds,
        dedupeKey: built.dedupeKey,
        message: built.message,
      });
      await db.playbookLog({
        ...log,
        level: 'info',
        message: `${event} notification: ${r.results.map((x) => `${x.type} ${x.status}`).join(', ') || 'no channel'}`,
      });
    } catch (err) {
      await db.playbookLog({
        ...log,
        level: 'warn',
        message: `${event} notification failed: ${errorMessage(err)}`,
      });
    }
  }
}

/** The task's query, updates and signal (DESIGN §6: updates with synchronous validators for cancel/pause/resume). */
export function installTaskHandlers(run: TaskRun): void {
  setHandler(taskProgressQuery, () => ({
    status: run.status,
    execution: run.execution,
    paused: run.paused,
    counts: run.counts,
    batchesDone: run.batchesDone,
    batchesTotal: run.batchesTotal,
    stopReason: run.stopReason,
  }));
  setHandler(
    cancelTaskUpdate,
    async () => {
      const wasWaiting = run.status === 'Waiting';
      run.requestCancel();
      // A Waiting task is Cancelled at once; a running one answers Cancelling and ends Cancelled.
      if (wasWaiting) await condition(() => run.finished);
      return { status: run.status };
    },
    {
      validator: () => {
        if (run.finished || isFinalTaskStatus(run.status))
          throw new Error(`the task already ended (${run.status})`);
      },
      description: 'Cancel the task: Waiting → Cancelled, Progressing/Paused → Cancelling → Cancelled',
    },
  );
  setHandler(cancelTaskSignal, () => run.requestCancel(), {
    description: 'Cancel the task (same as the cancel update)',
  });
  setHandler(
    pauseTaskUpdate,
    async () => {
      run.paused = true;
      if (run.currentBatch) await run.currentBatch.signal(batchPauseSignal, true);
      await run.setStatus('Paused');
      return { status: run.status };
    },
    {
      validator: () => {
        if (run.status !== 'Progressing' || run.cancelRequested)
          throw new Error(`only a Progressing task can be paused (it is ${run.status})`);
      },
      description: 'Stop starting new assets; running ones finish',
    },
  );
  setHandler(
    resumeTaskUpdate,
    async () => {
      run.paused = false;
      if (run.currentBatch) await run.currentBatch.signal(batchPauseSignal, false);
      await run.setStatus('Progressing');
      return { status: run.status };
    },
    {
      validator: () => {
        if (run.status !== 'Paused' || run.cancelRequested)
          throw new Error(`only a Paused task can be resumed (it is ${run.status})`);
      },
      description: 'Start dispatching assets again',
    },
  );
}
