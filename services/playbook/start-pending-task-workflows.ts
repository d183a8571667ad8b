import { and, inArray, lt } from 'drizzle-orm';
import { playbookTasks } from '../../db/schema/playbook.js';
import { ACTIVE_TASK_STATUSES } from '../../domain/playbook/status.js';
import type { Services } from '../../platform/services.js';
import { startTaskWorkflow } from './task-workflow.js';

/** Start-up repair: every task whose current execution's workflow start was never acknowledged. */
export async function startPendingTaskWorkflows(services: Services): Promise<number> {
  const rows = await services.db
    .select()
    .from(playbookTasks)
    .where(
      and(
        lt(playbookTasks.startedExecution, playbookTasks.execution),
        inArray(playbookTasks.status, [...ACTIVE_TASK_STATUSES]),
      ),
    );
  for (const task of rows) await startTaskWorkflow(services, task);
  return rows.length;
}
