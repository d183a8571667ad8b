import { WorkflowNotFoundError } from '@temporalio/client';
import { and, asc, eq, gt, gte, inArray, sql } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import { agentJobs } from '../../db/schema/agents.js';
import {
  playbookTaskAssets,
  playbookTaskLogs,
  playbookTasks,
  playbookTaskSteps,
  playbookTaskVulnerabilities,
} from '../../db/schema/playbook.js';
import { ACTIVE_TASK_STATUSES } from '../../domain/playbook/status.js';
import { ENDED_OUTSIDE_VIGIL, RECONCILER_ACTOR, RECONCILE_BATCH } from '../../domain/playbook/reconcile.js';
import type { Services } from '../../platform/services.js';
import { taskWorkflowId } from './task-workflow.js';
import { findTask } from './task-views.js';

type TaskRow = typeof playbookTasks.$inferSelect;
type Deps = Pick<Services, 'db' | 'temporal' | 'logger'>;

/**
 * How the task's workflow stands, when the task row says it still runs: `running`, or the status it closed with
 * (`TERMINATED`, `TIMED_OUT`, `FAILED`, … — `NOT_FOUND` once Temporal forgot it). Null when the row is final, or
 * when its workflow start is not acknowledged yet (the outbox repair starts it).
 */
async function closedWorkflowStatus(deps: Deps, task: TaskRow): Promise<string | null> {
  if (!ACTIVE_TASK_STATUSES.includes(task.status) || task.startedExecution < task.execution) return null;
  try {
    const d = await deps.temporal.workflow.getHandle(taskWorkflowId(task.id)).describe();
    return d.status.name === 'RUNNING' ? null : d.status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'NOT_FOUND';
    throw err;
  }
}

/**
 * A task whose workflow was terminated, timed out or reset away outside Vigil (the Temporal UI, `temporal workflow
 * terminate`) would show Progressing forever: its workflow can no longer finish it. It ends Failed ("terminated in
 * Temporal"), its unfinished assets Failed (so that a rerun takes them), its running steps cancelled, its agent jobs
 * cancelled, with a log line and an audit row, in one transaction. A workflow that completed normally already made
 * the row final, so the guarded update changes nothing then.
 */
export async function reconcileTaskWorkflow(
  deps: Deps,
  task: TaskRow,
  opts: { requestId?: string | null } = {},
): Promise<TaskRow> {
  const closed = await closedWorkflowStatus(deps, task);
  if (closed === null || closed === 'COMPLETED') return task;
  const reason = `${ENDED_OUTSIDE_VIGIL} (workflow ${closed.toLowerCase().replace(/_/g, ' ')})`;
  return deps.db.transaction(async (tx) => {
    const [after] = await tx
      .update(playbookTasks)
      .set({ status: 'Failed', endedAt: sql`now()` })
      .where(
        and(
          eq(playbookTasks.id, task.id),
          eq(playbookTasks.execution, task.execution),
          inArray(playbookTasks.status, [...ACTIVE_TASK_STATUSES]),
        ),
      )
      .returning();
    if (!after) {
      const [current] = await tx.select().from(playbookTasks).where(eq(playbookTasks.id, task.id));
      return current ?? task;
    }
    const ofExecution = and(
      eq(playbookTaskAssets.taskId, task.id),
      eq(playbookTaskAssets.execution, task.execution),
    );
    const assetsFailed = await tx
      .update(playbookTaskAssets)
      .set({ status: 'Failed', reason, endedAt: sql`now()` })
      .where(and(ofExecution, inArray(playbookTaskAssets.status, ['Pending', 'Running'])))
      .returning({ assetId: playbookTaskAssets.assetId });
    await tx
      .update(playbookTaskSteps)
      .set({ status: 'cancelled', error: reason, endedAt: sql`now()` })
      .where(
        and(
          eq(playbookTaskSteps.taskId, task.id),
          eq(playbookTaskSteps.execution, task.execution),
          eq(playbookTaskSteps.status, 'running'),
        ),
      );
    await tx
      .update(playbookTaskVulnerabilities)
      .set({ status: 'failed' })
      .where(
        and(
          eq(playbookTaskVulnerabilities.taskId, task.id),
          inArray(playbookTaskVulnerabilities.status, ['pending', 'fixing']),
        ),
      );
    const group = and(eq(agentJobs.accountId, task.accountId), eq(agentJobs.group, taskWorkflowId(task.id)));
    // Pending jobs end now; running ones are told at their next heartbeat. No activity waits for them any more.
    await tx
      .update(agentJobs)
      .set({ status: 'cancelled', cancelRequested: true, finishedAt: new Date() })
      .where(and(group, eq(agentJobs.status, 'pending')));
    await tx
      .update(agentJobs)
      .set({ cancelRequested: true })
      .where(and(group, eq(agentJobs.status, 'running')));
    await tx
      .insert(playbookTaskLogs)
      .values({
        accountId: task.accountId,
        taskId: task.id,
        execution: task.execution,
        dedupeKey: 'task:ended-outside-vigil',
        level: 'error',
        event: 'end',
        message: `task Failed: ${reason}; ${assetsFailed.length} unfinished assets marked Failed`,
      })
      .onConflictDoNothing();
    await recordAudit(tx, {
      accountId: task.accountId,
      actor: RECONCILER_ACTOR,
      action: 'playbook_task.ended_outside_vigil',
      targetType: 'playbook_task',
      targetId: task.id,
      requestId: opts.requestId ?? null,
      before: { status: task.status, execution: task.execution },
      after: { status: after.status, reason, temporalStatus: closed, assetsFailed: assetsFailed.length },
    });
    return after;
  });
}

/**
 * The caller's task for display, first finding out whether its workflow ended outside Vigil. Temporal being
 * unreachable must not stop the API from answering from Postgres, so that failure is logged and the row shown as is.
 */
export async function findCheckedTask(
  deps: Deps,
  accountId: string,
  taskId: string,
  requestId: string,
): Promise<TaskRow> {
  const task = await findTask(deps.db, accountId, taskId);
  try {
    return await reconcileTaskWorkflow(deps, task, { requestId });
  } catch (err) {
    deps.logger.warn({ err, taskId: task.id }, 'could not check the task workflow in Temporal');
    return task;
  }
}

/**
 * The sweep over every task that should have a running workflow (the start-up repair, and any periodic duty that
 * calls it): the oldest first, a batch at a time. Returns how many were found ended outside Vigil.
 */
export async function reconcileTaskWorkflows(deps: Deps): Promise<number> {
  let found = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await deps.db
      .select()
      .from(playbookTasks)
      .where(
        and(
          inArray(playbookTasks.status, [...ACTIVE_TASK_STATUSES]),
          gte(playbookTasks.startedExecution, playbookTasks.execution),
          gt(playbookTasks.id, after),
        ),
      )
      .orderBy(asc(playbookTasks.id))
      .limit(RECONCILE_BATCH);
    for (const task of rows) {
      const r = await reconcileTaskWorkflow(deps, task);
      if (r.status !== task.status) found++;
    }
    const last = rows[rows.length - 1];
    if (!last || rows.length < RECONCILE_BATCH) return found;
    after = last.id;
  }
}
