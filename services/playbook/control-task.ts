import { recordAudit } from '../../db/audit.js';
import { conflict } from '../../domain/errors.js';
import { isFinalTaskStatus, type TaskStatus } from '../../domain/playbook/status.js';
import type { Services } from '../../platform/services.js';
import type { Actor } from './actor.js';
import { findCheckedTask } from './reconcile-task.js';
import { controlTaskWorkflow, type TaskControl } from './task-workflow.js';

export type { TaskControl };

/**
 * Cancel, pause or resume a task (seed "Task management"): the workflow's update decides (a refused one is a 409),
 * then the audit row. The update is not a database write, so the audit row follows it rather than sharing a
 * transaction with it. A task whose workflow ended outside Vigil is marked first, so that it is not restarted here.
 */
export async function controlTask(
  services: Pick<Services, 'db' | 'temporal' | 'taskQueues' | 'publicUrl' | 'logger'>,
  actor: Actor,
  opts: { taskId: string; control: TaskControl },
): Promise<{ status: TaskStatus; executions: number }> {
  const task = await findCheckedTask(services, actor.accountId, opts.taskId, actor.requestId);
  if (isFinalTaskStatus(task.status)) throw conflict(`the task already ended (${task.status})`);
  const r = await controlTaskWorkflow(services, task, opts.control);
  await recordAudit(services.db, {
    ...actor,
    action: `playbook_task.${opts.control}`,
    targetType: 'playbook_task',
    targetId: task.id,
    before: { status: task.status },
    after: r,
  });
  return { status: r.status, executions: task.execution };
}
