import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  ParentClosePolicy,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { TaskPlan } from '../../activities/playbook/task-activities.js';
import { errorBudget, errorBudgetExhausted } from '../../domain/playbook/error-budget.js';
import { batchPlan, concurrencyLimit } from '../../domain/playbook/stages.js';
import type { AssetStatus } from '../../domain/playbook/status.js';
import { VigilAccountId, VigilStatus, VigilTaskId } from '../search-attributes.js';
import { playbookBatchWorkflow } from './batch.js';
import {
  batchPauseSignal,
  type PlaybookTaskInput,
  type StopReason,
  type TaskControlResult,
} from './messages.js';
import { installTaskHandlers, TaskRun } from './task-run.js';
import { db } from './task-db.js';

/**
 * A fix task (DESIGN §5): waits for its maintenance window on a durable timer, then runs its assets in batch child
 * workflows stage by stage, honouring concurrency, the error budget, the cutoff and the window end; cancel, pause
 * and resume arrive as updates (cancel also as a signal and as Temporal's own cancellation — all end alike).
 */
export async function playbookTaskWorkflow(input: PlaybookTaskInput): Promise<TaskControlResult> {
  const run = new TaskRun(input.taskId, input.accountId, input.execution);
  installTaskHandlers(run);

  // Not cancellable: Temporal's own cancellation arriving this early must still end in the clean-up below (it used to
  // fail the read and end the workflow with the task left Waiting in the database).
  const plan = await CancellationScope.nonCancellable(() =>
    db.playbookLoadTaskPlan({ taskId: run.taskId, execution: run.execution }),
  );
  run.status = plan.status;
  const batches = batchPlan({ stages: plan.params.stages, assetCount: plan.assetCount });
  run.batchesTotal = batches.length;
  run.show();

  try {
    await run.work.run(async () => {
      if (plan.windowStartMs !== null && Date.now() < plan.windowStartMs) {
        await sleep(plan.windowStartMs - Date.now(), { summary: 'wait for window start' });
      }
      await run.setStatus('Progressing');
      await run.notify('start');
      run.stopReason = await dispatchBatches(run, input, plan, batches);
    });
  } catch (err) {
    if (!isCancellation(err)) throw err;
    run.requestCancel(); // Temporal's own cancellation (UI "Request Cancellation", `handle.cancel()`) ends the same way.
  }
  return CancellationScope.nonCancellable(() => finishExecution(run));
}

/**
 * Runs the batches one after another; before each, no new batch once the cutoff passed (waiting while paused, at
 * most until the cutoff) or the error budget is spent. Returns why it stopped early, or null.
 */
async function dispatchBatches(
  run: TaskRun,
  input: PlaybookTaskInput,
  plan: TaskPlan,
  batches: ReturnType<typeof batchPlan>,
): Promise<StopReason | null> {
  const { taskId, accountId, execution } = run;
  const budget = errorBudget({ maxErrors: plan.params.maxErrors, assetCount: plan.assetCount });
  const concurrency = concurrencyLimit({
    maxConcurrency: plan.params.maxConcurrency,
    assetCount: plan.assetCount,
  });
  for (const [i, b] of batches.entries()) {
    const cutoffLeft = plan.cutoffAtMs === null ? undefined : plan.cutoffAtMs - Date.now();
    if (cutoffLeft !== undefined && cutoffLeft <= 0) return 'windowClosed';
    if (cutoffLeft === undefined) await condition(() => !run.paused);
    else if (!(await condition(() => !run.paused, cutoffLeft))) return 'windowClosed';
    if (errorBudgetExhausted({ failed: run.counts.Failed, budget })) return 'errorBudget';
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
          failedBefore: run.counts.Failed,
          cutoffAtMs: plan.cutoffAtMs,
          windowEndAtMs: plan.windowEndAtMs,
          windowEnd: plan.params.windowEnd,
          paused: run.paused,
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
    run.currentBatch = handle;
    if (run.paused) await handle.signal(batchPauseSignal, true);
    const r = await handle.result();
    run.currentBatch = null;
    run.batchesDone++;
    for (const k of Object.keys(run.counts) as AssetStatus[]) run.counts[k] += r.counts[k];
    run.show();
    if (r.stopReason) return r.stopReason;
  }
  return null;
}

/** The execution's end: the clean-up of a cancellation, the final status from the counts, the last message. */
async function finishExecution(run: TaskRun): Promise<TaskControlResult> {
  if (run.cleanup) await run.cleanup;
  const outcome = await db.playbookFinishExecution({
    taskId: run.taskId,
    execution: run.execution,
    cancelled: run.cancelRequested,
    stopReason: run.cancelRequested ? 'cancelled' : run.stopReason,
  });
  run.status = outcome.status;
  Object.assign(run.counts, outcome.counts);
  upsertSearchAttributes([{ key: VigilStatus, value: run.status }]);
  run.show();
  run.finished = true;
  await run.notify(run.cancelRequested ? 'cancel' : 'end');
  await condition(allHandlersFinished);
  return { status: run.status };
}
