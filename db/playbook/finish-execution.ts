import { and, count, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { playbookTaskAssets, playbookTasks, playbookTaskVulnerabilities } from '../schema/playbook.js';
import {
  ASSET_REASONS,
  emptyAssetCounts,
  taskOutcome,
  taskStatusesBefore,
  type AssetCounts,
  type AssetStatus,
  type TaskStatus,
} from '../../domain/playbook/status.js';
import { writeLog } from './task-log.js';
import { executionAssets, taskRow } from './task-run.js';

/** Why a task stopped starting assets before it ran out of them. */
export type StopReason = 'errorBudget' | 'windowClosed' | 'cancelled';

/** Ends an execution: assets never started get their reason, and the task its final status from the counts. */
export async function finishExecution(
  db: Database,
  req: { taskId: string; execution: number; cancelled: boolean; stopReason: StopReason | null },
): Promise<{ status: TaskStatus; counts: AssetCounts }> {
  return db.transaction(async (tx) => {
    const task = await taskRow(tx, req.taskId);
    const windowClosed = req.stopReason === 'windowClosed';
    const untouched: { status: AssetStatus; reason: string } = req.cancelled
      ? { status: 'Cancelled', reason: ASSET_REASONS.cancelled }
      : {
          status: 'Skipped',
          reason: req.stopReason === 'errorBudget' ? ASSET_REASONS.errorBudget : ASSET_REASONS.windowClosed,
        };
    const now = new Date();
    await tx
      .update(playbookTaskAssets)
      .set({ ...untouched, endedAt: now })
      .where(and(executionAssets(req.taskId, req.execution), eq(playbookTaskAssets.status, 'Pending')));
    if (req.cancelled) {
      await tx
        .update(playbookTaskAssets)
        .set({ status: 'Cancelled', reason: ASSET_REASONS.cancelled, endedAt: now })
        .where(and(executionAssets(req.taskId, req.execution), eq(playbookTaskAssets.status, 'Running')));
    }
    await tx
      .update(playbookTaskAssets)
      .set({ reason: windowClosed ? ASSET_REASONS.windowClosed : ASSET_REASONS.cancelled })
      .where(
        and(
          executionAssets(req.taskId, req.execution),
          eq(playbookTaskAssets.status, 'Cancelled'),
          isNull(playbookTaskAssets.reason),
        ),
      );
    await tx
      .update(playbookTaskVulnerabilities)
      .set({ status: req.cancelled ? 'cancelled' : 'skipped' })
      .where(
        and(
          eq(playbookTaskVulnerabilities.taskId, req.taskId),
          eq(playbookTaskVulnerabilities.status, 'pending'),
        ),
      );
    const rows = await tx
      .select({ status: playbookTaskAssets.status, n: count() })
      .from(playbookTaskAssets)
      .where(executionAssets(req.taskId, req.execution))
      .groupBy(playbookTaskAssets.status);
    const counts = emptyAssetCounts();
    for (const r of rows) counts[r.status] = r.n;
    const status = taskOutcome({ counts, cancelled: req.cancelled, windowClosed });
    const [dry] = await tx
      .select({ n: count() })
      .from(playbookTaskAssets)
      .where(
        and(
          executionAssets(req.taskId, req.execution),
          sql`${playbookTaskAssets.reason} like ${`%${ASSET_REASONS.dryRun}%`}`,
        ),
      );
    const dryRunNote =
      dry && dry.n > 0
        ? ` — dry run on ${dry.n} assets: nothing was changed and every vulnerability stays open`
        : '';
    await tx
      .update(playbookTasks)
      .set({ status, endedAt: now })
      .where(
        and(
          eq(playbookTasks.id, req.taskId),
          eq(playbookTasks.execution, req.execution),
          inArray(playbookTasks.status, taskStatusesBefore(status)),
        ),
      );
    await writeLog(tx, {
      accountId: task.accountId,
      taskId: req.taskId,
      execution: req.execution,
      dedupeKey: 'task:end',
      level: status === 'Succeeded' ? 'info' : 'warn',
      event: 'task.end',
      message: `task ${status}: ${counts.Succeeded} succeeded, ${counts.Failed} failed, ${counts.Skipped} skipped, ${counts.Cancelled} cancelled${dryRunNote}`,
    });
    return { status, counts };
  });
}
