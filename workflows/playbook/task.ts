import {
  allHandlersFinished,
  CancellationScope,
  ChildWorkflowHandle,
  condition,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AgentActivities } from '../../activities/agents/run-agent-job.js';
import type { PlaybookActivities, TaskNotificationEvent } from '../../activities/playbook/task-activities.js';
import type { createNotifyActivities } from '../../activities/notifications/send-notification.js';
import { errorBudget, errorBudgetExhausted } from '../../domain/playbook/error-budget.js';
import { batchPlan, concurrencyLimit } from '../../domain/playbook/stages.js';
import { taskDetails } from '../../domain/playbook/temporal-details.js';
import {
  emptyAssetCounts,
  isFinalTaskStatus,
  type AssetStatus,
  type TaskStatus,
} from '../../domain/playbook/status.js';
import { VigilAccountId, VigilStatus, VigilTaskId } from '../search-attributes.js';
import { playbookBatchWorkflow } from './batch.js';
import {
  batchPauseSignal,
  cancelTaskSignal,
  cancelTaskUpdate,
  pauseTaskUpdate,
  resumeTaskUpdate,
  taskProgressQuery,
  type PlaybookTaskInput,
  type StopReason,
  type TaskControlResult,
} from './messages.js';
import { errorMessage } from '../../domain/errors.js';

const db = proxyLocalActivities<PlaybookActivities>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', maximumAttempts: 20 },
});
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
 * A fix task (DESIGN §5): waits for its maintenance window on a durable timer, then runs its assets in batch child
 * workflows stage by stage, honouring concurrency, the error budget, the cutoff and the window end; cancel, pause
 * and resume arrive as updates (cancel also as a signal and as Temporal's own cancellation — all end alike).
 */
export async function playbookTaskWorkflow(input: PlaybookTaskInput): Promise<TaskControlResult> {
  const { taskId, accountId, execution } = input;
  const group = `playbook-task:${taskId}`;
  let status: TaskStatus = 'Waiting';
  let paused = false;
  let cancelRequested = false;
  let finished = false;
  let stopReason: StopReason | null = null;
  let batchesDone = 0;
  let batchesTotal = 0;
  let currentBatch: ChildWorkflowHandle<typeof playbookBatchWorkflow> | null = null;
  const counts = emptyAssetCounts();
  const work = new CancellationScope();

  const show = () =>
    setCurrentDetails(taskDetails({ status, paused, execution, batchesDone, batchesTotal, counts }));
  const setStatus = async (next: TaskStatus) => {
    const r = await db.playbookSetTaskStatus({ taskId, execution, status: next });
    status = r.status;
    upsertSearchAttributes([{ key: VigilStatus, value: status }]);
    show();
  };
  const notify = async (event: TaskNotificationEvent) => {
    const built = await db.playbookBuildNotification({ taskId, execution, event });
    if (!built) return;
    try {
      const r = await sendNotification({
        accountId,
        channelIds: built.channelIds,
        dedupeKey: built.dedupeKey,
        message: built.message,
      });
      await db.playbookLog({
        taskId,
        execution,
        dedupeKey: `notify:${event}`,
        level: 'info',
        event: 'notify',
        message: `${event} notification: ${r.results.map((x) => `${x.type} ${x.status}`).join(', ') || 'no channel'}`,
      });
    } catch (err) {
      // A notification that cannot be delivered must not change the task's outcome; it is logged on the task.
      const message = errorMessage(err);
      await db.playbookLog({
        taskId,
        execution,
        dedupeKey: `notify:${event}`,
        level: 'warn',
        event: 'notify',
        message: `${event} notification failed: ${message}`,
      });
    }
  };

  let cleanup: Promise<void> | null = null;
  const requestCancel = () => {
    if (cancelRequested || finished) return;
    cancelRequested = true;
    if (status !== 'Waiting') status = 'Cancelling';
    // Running agent jobs hear the cancellation on their next heartbeat; pending ones end at once.
    cleanup = CancellationScope.nonCancellable(async () => {
      if (status === 'Cancelling') await setStatus('Cancelling');
      await cancelAgentJobs({ accountId, group });
    });
    work.cancel();
  };

  setHandler(taskProgressQuery, () => ({
    status,
    execution,
    paused,
    counts,
    batchesDone,
    batchesTotal,
    stopReason,
  }));
  setHandler(
    cancelTaskUpdate,
    async () => {
      const wasWaiting = status === 'Waiting';
      requestCancel();
      // A Waiting task is Cancelled at once; a running one answers Cancelling and ends Cancelled.
      if (wasWaiting) await condition(() => finished);
      return { status };
    },
    {
      validator: () => {
        if (finished || isFinalTaskStatus(status)) throw new Error(`the task already ended (${status})`);
      },
      description: 'Cancel the task: Waiting → Cancelled, Progressing/Paused → Cancelling → Cancelled',
    },
  );
  setHandler(cancelTaskSignal, requestCancel, { description: 'Cancel the task (same as the cancel update)' });
  setHandler(
    pauseTaskUpdate,
    async () => {
      paused = true;
      if (currentBatch) await currentBatch.signal(batchPauseSignal, true);
      await setStatus('Paused');
      return { status };
    },
    {
      validator: () => {
        if (status !== 'Progressing' || cancelRequested)
          throw new Error(`only a Progressing task can be paused (it is ${status})`);
      },
      description: 'Stop starting new assets; running ones finish',
    },
  );
  setHandler(
    resumeTaskUpdate,
    async () => {
      paused = false;
      if (currentBatch) await currentBatch.signal(batchPauseSignal, false);
      await setStatus('Progressing');
      return { status };
    },
    {
      validator: () => {
        if (status !== 'Paused' || cancelRequested)
          throw new Error(`only a Paused task can be resumed (it is ${status})`);
      },
      description: 'Start dispatching assets again',
    },
  );

  // Not cancellable: Temporal's own cancellation arriving this early must still end in the clean-up below (it used to
  // fail the read and end the workflow with the task left Waiting in the database).
  const plan = await CancellationScope.nonCancellable(() => db.playbookLoadTaskPlan({ taskId, execution }));
  status = plan.status;
  const batches = batchPlan({ stages: plan.params.stages, assetCount: plan.assetCount });
  batchesTotal = batches.length;
  const budget = errorBudget({ maxErrors: plan.params.maxErrors, assetCount: plan.assetCount });
  const concurrency = concurrencyLimit({
    maxConcurrency: plan.params.maxConcurrency,
    assetCount: plan.assetCount,
  });
  show();

  try {
    await work.run(async () => {
      if (plan.windowStartMs !== null && Date.now() < plan.windowStartMs) {
        await sleep(plan.windowStartMs - Date.now(), { summary: 'wait for window start' });
      }
      await setStatus('Progressing');
      await notify('start');
      for (const [i, b] of batches.entries()) {
        const cutoffLeft = plan.cutoffAtMs === null ? undefined : plan.cutoffAtMs - Date.now();
        if (cutoffLeft !== undefined && cutoffLeft <= 0) {
          stopReason = 'windowClosed';
          break;
        }
        if (cutoffLeft === undefined) await condition(() => !paused);
        else if (!(await condition(() => !paused, cutoffLeft))) {
          stopReason = 'windowClosed';
          break;
        }
        if (errorBudgetExhausted({ failed: counts.Failed, budget })) {
          stopReason = 'errorBudget';
          break;
        }
        const handle = await startChild(playbookBatchWorkflow, {
          workflowId: `fix-batch:${taskId}:${execution}:${i}`,
          taskQueue: workflowInfo().taskQueue,
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          staticSummary: `Batch ${i + 1} of ${batches.length} (stage ${b.stage}): assets ${b.offset + 1}–${b.offset + b.limit}`,
          typedSearchAttributes: [
            { key: VigilAccountId, value: accountId },
            { key: VigilTaskId, value: taskId },
          ],
          args: [
            {
              taskId,
              accountId,
              policyId: input.policyId,
              execution,
              batchIndex: i,
              offset: b.offset,
              limit: b.limit,
              concurrency,
              budget,
              failedBefore: counts.Failed,
              cutoffAtMs: plan.cutoffAtMs,
              windowEndAtMs: plan.windowEndAtMs,
              windowEnd: plan.params.windowEnd,
              paused,
              run: {
                snapshot: plan.params.snapshot,
                reboot: plan.params.reboot,
                retriesPerFix: plan.params.retriesPerFix,
                verifyAfterFix: plan.params.verifyAfterFix,
                heartbeatTimeoutSeconds: plan.params.heartbeatTimeoutSeconds,
                ...(plan.params.dryRun ? { dryRun: true } : {}),
              },
            },
          ],
        });
        currentBatch = handle;
        if (paused) await handle.signal(batchPauseSignal, true);
        const r = await handle.result();
        currentBatch = null;
        batchesDone++;
        for (const k of Object.keys(counts) as AssetStatus[]) counts[k] += r.counts[k];
        show();
        if (r.stopReason) {
          stopReason = r.stopReason;
          break;
        }
      }
    });
  } catch (err) {
    if (!isCancellation(err)) throw err;
    requestCancel(); // Temporal's own cancellation (UI "Request Cancellation", `handle.cancel()`) ends the same way.
  }

  return CancellationScope.nonCancellable(async () => {
    if (cleanup) await cleanup;
    const outcome = await db.playbookFinishExecution({
      taskId,
      execution,
      cancelled: cancelRequested,
      stopReason: cancelRequested ? 'cancelled' : stopReason,
    });
    status = outcome.status;
    Object.assign(counts, outcome.counts);
    upsertSearchAttributes([{ key: VigilStatus, value: status }]);
    show();
    finished = true;
    await notify(cancelRequested ? 'cancel' : 'end');
    await condition(allHandlersFinished);
    return { status };
  });
}
