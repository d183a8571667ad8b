import { and, eq, inArray } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import { playbookTaskAssets, playbookTasks, playbookTaskVulnerabilities } from '../../db/schema/playbook.js';
import { conflict } from '../../domain/errors.js';
import { isFinalTaskStatus, type TaskStatus } from '../../domain/playbook/status.js';
import type { Services } from '../../platform/services.js';
import type { Actor } from './actor.js';
import { findCheckedTask } from './reconcile-task.js';
import { startTaskWorkflow } from './task-workflow.js';

/**
 * Reruns the failed assets of an ended task as its next execution (DESIGN §5): the execution's assets, its units
 * pending again, the task Progressing and the audit row in one transaction, then the execution's workflow.
 */
export async function rerunTask(
  services: Pick<Services, 'db' | 'temporal' | 'taskQueues' | 'publicUrl' | 'logger'>,
  actor: Actor,
  opts: { taskId: string },
): Promise<{ status: TaskStatus; executions: number }> {
  const id = opts.taskId;
  await findCheckedTask(services, actor.accountId, id, actor.requestId);
  const task = await services.db.transaction(async (tx) => {
    const [t] = await tx.select().from(playbookTasks).where(eq(playbookTasks.id, id)).for('update');
    if (!t) throw conflict('the task disappeared');
    if (!isFinalTaskStatus(t.status)) throw conflict(`only an ended task can be rerun (it is ${t.status})`);
    const failed = await tx
      .select({ assetId: playbookTaskAssets.assetId })
      .from(playbookTaskAssets)
      .where(
        and(
          eq(playbookTaskAssets.taskId, id),
          eq(playbookTaskAssets.execution, t.execution),
          eq(playbookTaskAssets.status, 'Failed'),
        ),
      )
      .orderBy(playbookTaskAssets.position);
    if (failed.length === 0) throw conflict('the task has no failed assets to rerun');
    const execution = t.execution + 1;
    await tx.insert(playbookTaskAssets).values(
      failed.map((f, i) => ({
        accountId: t.accountId,
        taskId: id,
        execution,
        assetId: f.assetId,
        position: i,
      })),
    );
    await tx
      .update(playbookTaskVulnerabilities)
      .set({ status: 'pending', execution })
      .where(
        and(
          eq(playbookTaskVulnerabilities.taskId, id),
          inArray(
            playbookTaskVulnerabilities.assetId,
            failed.map((f) => f.assetId),
          ),
          inArray(playbookTaskVulnerabilities.status, ['failed', 'cancelled', 'skipped', 'pending']),
        ),
      );
    const [after] = await tx
      .update(playbookTasks)
      .set({ execution, status: 'Progressing', startedAt: new Date(), endedAt: null })
      .where(eq(playbookTasks.id, id))
      .returning();
    if (!after) throw conflict('the task disappeared');
    await recordAudit(tx, {
      ...actor,
      action: 'playbook_task.rerun',
      targetType: 'playbook_task',
      targetId: id,
      before: { status: t.status, execution: t.execution },
      after: { status: after.status, execution, assets: failed.length },
    });
    return after;
  });
  await startTaskWorkflow(services, task);
  return { status: task.status, executions: task.execution };
}
