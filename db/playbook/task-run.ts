import { and, asc, count, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import type { Executor } from '../client.js';
import { assets } from '../schema/inventory.js';
import { playbookTaskAssets, playbookTasks, playbookTaskVulnerabilities } from '../schema/playbook.js';
import type { TPolicyParams } from '../../domain/playbook/policy.js';
import { taskStatusesBefore, type TaskStatus } from '../../domain/playbook/status.js';
import { writeLog } from './task-log.js';

/** What a task's workflow needs to plan its run. */
export interface TaskPlan {
  status: TaskStatus;
  params: TPolicyParams;
  assetCount: number;
  windowStartMs: number | null;
  windowEndAtMs: number | null;
  cutoffAtMs: number | null;
}

/** The assets of one execution of a task. */
export const executionAssets = (taskId: string, execution: number) =>
  and(eq(playbookTaskAssets.taskId, taskId), eq(playbookTaskAssets.execution, execution));

export async function taskRow(db: Executor, taskId: string) {
  const [task] = await db.select().from(playbookTasks).where(eq(playbookTasks.id, taskId));
  if (!task) throw new Error(`playbook task ${taskId} does not exist`);
  return task;
}

export async function loadTaskPlan(
  db: Executor,
  req: { taskId: string; execution: number },
): Promise<TaskPlan> {
  const task = await taskRow(db, req.taskId);
  const [n] = await db
    .select({ n: count() })
    .from(playbookTaskAssets)
    .where(executionAssets(req.taskId, req.execution));
  // A rerun runs at once; only the first execution waits for the window it was created with.
  const windowed =
    task.mode === 'window' && req.execution === 1 && task.windowStart !== null && task.windowEnd !== null;
  const endMs = windowed ? (task.windowEnd?.getTime() ?? null) : null;
  return {
    status: task.status,
    params: task.params,
    assetCount: n?.n ?? 0,
    windowStartMs: windowed ? (task.windowStart?.getTime() ?? null) : null,
    windowEndAtMs: endMs,
    cutoffAtMs: endMs === null ? null : endMs - task.params.cutoffMinutes * 60_000,
  };
}

/** The task's next status when the status machine allows it (with a log line), else the status it has. */
export async function setTaskStatus(
  db: Executor,
  req: { taskId: string; execution: number; status: TaskStatus },
): Promise<{ status: TaskStatus }> {
  const [updated] = await db
    .update(playbookTasks)
    .set({
      status: req.status,
      ...(req.status === 'Progressing'
        ? { startedAt: sql`coalesce(${playbookTasks.startedAt}, now())` }
        : {}),
    })
    .where(
      and(
        eq(playbookTasks.id, req.taskId),
        eq(playbookTasks.execution, req.execution),
        inArray(playbookTasks.status, taskStatusesBefore(req.status)),
      ),
    )
    .returning({ status: playbookTasks.status, accountId: playbookTasks.accountId });
  if (updated) {
    await writeLog(db, {
      accountId: updated.accountId,
      taskId: req.taskId,
      execution: req.execution,
      dedupeKey: `status:${req.status}:${Date.now()}`,
      level: 'info',
      event: 'status',
      message: `task is ${req.status}`,
    });
    return { status: updated.status };
  }
  return { status: (await taskRow(db, req.taskId)).status };
}

/** A batch's slice of an execution's assets, in dispatch order, each with how many vulnerabilities it has. */
export async function loadBatchAssets(
  db: Executor,
  req: { taskId: string; execution: number; offset: number; limit: number },
) {
  return db
    .select({
      assetId: playbookTaskAssets.assetId,
      name: assets.name,
      vulnerabilityCount: sql<number>`(select count(*)::int from ${playbookTaskVulnerabilities} tv where tv.task_id = ${playbookTaskAssets.taskId} and tv.asset_id = ${playbookTaskAssets.assetId})`,
    })
    .from(playbookTaskAssets)
    .innerJoin(assets, eq(assets.id, playbookTaskAssets.assetId))
    .where(
      and(
        executionAssets(req.taskId, req.execution),
        gte(playbookTaskAssets.position, req.offset),
        lt(playbookTaskAssets.position, req.offset + req.limit),
      ),
    )
    .orderBy(asc(playbookTaskAssets.position));
}
