import { batchDetails } from '../../domain/playbook/temporal-details.js';
import {
  CancellationScope,
  condition,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { errorBudgetExhausted } from '../../domain/playbook/error-budget.js';
import { emptyAssetCounts } from '../../domain/playbook/status.js';
import { VigilAccountId, VigilTaskId } from '../search-attributes.js';
import { fixAssetWorkflow } from './asset.js';
import {
  batchPauseSignal,
  type PlaybookBatchInput,
  type PlaybookBatchResult,
  type StopReason,
} from './messages.js';
import { db } from './task-db.js';

/**
 * A slice of a task's assets (at most MAX_ASSETS_PER_BATCH, so its history stays small): starts one child per asset
 * with bounded concurrency, and stops starting new ones when the error budget is spent, the cutoff passes, the
 * parent cancels it or — with windowEnd `cancel` — the window ends (running assets are then cancelled too).
 */
export async function playbookBatchWorkflow(input: PlaybookBatchInput): Promise<PlaybookBatchResult> {
  const counts = emptyAssetCounts();
  let paused = input.paused;
  let running = 0;
  let failed = input.failedBefore;
  let stopReason: StopReason | null = null;
  let windowClosed = false;
  setHandler(batchPauseSignal, (p) => {
    paused = p;
  });
  const report = () => setCurrentDetails(batchDetails({ ...input, paused, running, counts }));

  const children = new CancellationScope();
  const windowEndTimer = new CancellationScope();
  if (input.windowEndAtMs !== null && input.windowEnd === 'cancel') {
    const endAt = input.windowEndAtMs;
    void windowEndTimer
      .run(() => sleep(Math.max(1, endAt - Date.now()), { summary: 'window end: cancel running assets' }))
      .then(
        () => {
          windowClosed = true;
          children.cancel();
        },
        () => undefined, // the timer is cancelled when the batch ends first
      );
  }
  const cutoffPassed = () => input.cutoffAtMs !== null && Date.now() >= input.cutoffAtMs;
  const done: Promise<void>[] = [];
  try {
    const assets = await db.playbookLoadBatchAssets({
      taskId: input.taskId,
      execution: input.execution,
      offset: input.offset,
      limit: input.limit,
    });
    for (const asset of assets) {
      const ready = () =>
        (running < input.concurrency && !paused) ||
        windowClosed ||
        errorBudgetExhausted({ failed, budget: input.budget });
      if (input.cutoffAtMs === null) await condition(ready);
      else await condition(ready, Math.max(1, input.cutoffAtMs - Date.now()));
      if (windowClosed || cutoffPassed()) {
        stopReason = 'windowClosed';
        break;
      }
      if (errorBudgetExhausted({ failed, budget: input.budget })) {
        stopReason = 'errorBudget';
        break;
      }
      running++;
      report();
      done.push(
        children
          .run(() =>
            executeChild(fixAssetWorkflow, {
              workflowId: `fix-asset:${input.taskId}:${input.execution}:${asset.assetId}`,
              args: [
                {
                  taskId: input.taskId,
                  accountId: input.accountId,
                  policyId: input.policyId,
                  execution: input.execution,
                  assetId: asset.assetId,
                  assetName: asset.name,
                  run: input.run,
                },
              ],
              taskQueue: workflowInfo().taskQueue,
              parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
              staticSummary: `Fix ${asset.vulnerabilityCount} vulnerabilities on ${asset.name}`,
              typedSearchAttributes: [
                { key: VigilAccountId, value: input.accountId },
                { key: VigilTaskId, value: input.taskId },
              ],
            }),
          )
          .then(
            (r) => {
              counts[r.status]++;
              if (r.status === 'Failed') failed++;
            },
            (err: unknown) => {
              // A child that was cancelled before it could record anything, or that failed outright.
              counts[isCancellation(err) ? 'Cancelled' : 'Failed']++;
              if (!isCancellation(err)) failed++;
            },
          )
          .finally(() => {
            running--;
            report();
          }),
      );
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    stopReason = 'cancelled';
  }
  await Promise.all(done);
  windowEndTimer.cancel();
  if (windowClosed && stopReason === null) stopReason = 'windowClosed';
  report();
  return { counts, stopReason };
}
