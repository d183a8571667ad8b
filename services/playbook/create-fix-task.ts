import type { Services } from '../../platform/services.js';
import type { TCreateTaskBody } from '../../domain/playbook/task-input.js';
import type { Actor } from './actor.js';
import { recordFixTask } from './record-fix-task.js';
import { startTaskWorkflow } from './task-workflow.js';

/**
 * Creates a fix task (seed "Create a task"): the row, its assets and units with the audit row in one transaction
 * (`recordFixTask`), then its workflow. A failed start leaves the committed row to the outbox repair: the next
 * control call or the start-up repair starts it with the same deterministic id.
 */
export async function createFixTask(
  services: Pick<Services, 'db' | 'temporal' | 'taskQueues' | 'publicUrl' | 'logger'>,
  actor: Actor,
  opts: { policyId: string; body: TCreateTaskBody; now?: Date },
) {
  const created = await recordFixTask(services.db, actor, opts);
  try {
    await startTaskWorkflow(services, created.task);
  } catch (err) {
    services.logger.error({ err, taskId: created.task.id }, 'could not start the task workflow yet');
  }
  return created;
}
