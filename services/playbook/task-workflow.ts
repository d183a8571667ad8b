import { consoleTaskUrl } from '../../domain/console.js';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import {
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type SearchAttributePair,
} from '@temporalio/common';
import { and, eq, lt } from 'drizzle-orm';
import type { Services } from '../../platform/services.js';
import { conflict } from '../../domain/errors.js';
import type { Database } from '../../db/client.js';
import { playbookTasks } from '../../db/schema/playbook.js';
import { describeWindow } from '../../domain/playbook/window.js';
import type { TaskStatus } from '../../domain/playbook/status.js';
import {
  VigilAccountId,
  VigilPolicyId,
  VigilStatus,
  VigilTaskId,
} from '../../workflows/search-attributes.js';
import {
  cancelTaskUpdate,
  pauseTaskUpdate,
  playbookTaskWorkflow,
  resumeTaskUpdate,
  type TaskControlResult,
} from '../../workflows/playbook.js';

type TaskRow = typeof playbookTasks.$inferSelect;

export const taskWorkflowId = (taskId: string) => `playbook-task:${taskId}`;

/** The start options of a task's workflow: deterministic id, summary, link back to the API, search attributes. */
function startOptions(services: Pick<Services, 'taskQueues' | 'publicUrl'>, task: TaskRow) {
  const window =
    task.mode === 'window' && task.execution === 1 && task.windowStart && task.windowEnd && task.timeZone
      ? ` — window ${describeWindow({ startAt: task.windowStart, endAt: task.windowEnd, timeZone: task.timeZone })}`
      : task.execution > 1
        ? ` — rerun ${task.execution}`
        : ' — now';
  const url = consoleTaskUrl(services.publicUrl, task.id);
  return {
    workflowId: taskWorkflowId(task.id),
    taskQueue: services.taskQueues.playbook,
    args: [
      { taskId: task.id, accountId: task.accountId, policyId: task.policyId, execution: task.execution },
    ] as [Parameters<typeof playbookTaskWorkflow>[0]],
    staticSummary:
      `Fix ${task.vulnerabilityCount} vulnerabilities on ${task.assetCount} assets${window}`.slice(0, 200),
    staticDetails:
      `**${task.name}** (execution ${task.execution})\n\n` +
      `- Task: [${url}](${url})\n- Logs: [${url}/logs](${url}/logs)\n- Policy flow: [${url}/flow?format=mermaid](${url}/flow?format=mermaid)`,
    typedSearchAttributes: [
      { key: VigilAccountId, value: task.accountId },
      { key: VigilTaskId, value: task.id },
      { key: VigilPolicyId, value: task.policyId ?? '' },
      { key: VigilStatus, value: task.status },
    ] as SearchAttributePair[],
    // A closed run of an earlier execution may be followed by the next; a running one is never duplicated.
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  };
}

async function markStarted(db: Database, task: TaskRow): Promise<void> {
  await db
    .update(playbookTasks)
    .set({ startedExecution: task.execution })
    .where(and(eq(playbookTasks.id, task.id), lt(playbookTasks.startedExecution, task.execution)));
}

/**
 * Starts the workflow of the task's current execution unless it runs already (the outbox step after the row is
 * committed; a crash before it is repaired by `startPendingTaskWorkflows` or by the next control call).
 */
export async function startTaskWorkflow(
  services: Pick<Services, 'db' | 'temporal' | 'taskQueues' | 'publicUrl'>,
  task: TaskRow,
): Promise<void> {
  if (task.execution > 1) await previousRunClosed(services.temporal, task.id);
  try {
    await services.temporal.workflow.start(playbookTaskWorkflow, {
      ...startOptions(services, task),
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  await markStarted(services.db, task);
}

/** How long a rerun waits for the previous execution's run to finish its end notification. */
const PREVIOUS_RUN_GRACE_MS = 60_000;

/**
 * A task's row turns final just before its run sends the end notification and closes; a rerun started in that gap
 * would be taken for the closing run. Wait for that run to close first.
 */
async function previousRunClosed(temporal: Client, taskId: string): Promise<void> {
  const handle = temporal.workflow.getHandle(taskWorkflowId(taskId));
  const deadline = Date.now() + PREVIOUS_RUN_GRACE_MS;
  for (;;) {
    let running: boolean;
    try {
      running = (await handle.describe()).status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return;
      throw err;
    }
    if (!running) return;
    if (Date.now() > deadline) throw conflict('the previous execution is still closing; try again shortly');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const UPDATES = { cancel: cancelTaskUpdate, pause: pauseTaskUpdate, resume: resumeTaskUpdate } as const;
export type TaskControl = keyof typeof UPDATES;

/**
 * Cancel, pause or resume through the workflow's update (its synchronous validator decides); sent with start, so a
 * task whose workflow start was lost gets it now. A refused update is a 409.
 */
export async function controlTaskWorkflow(
  services: Pick<Services, 'db' | 'temporal' | 'taskQueues' | 'publicUrl'>,
  task: TaskRow,
  control: TaskControl,
): Promise<{ status: TaskStatus }> {
  const client: Client = services.temporal;
  try {
    const result: TaskControlResult = await client.workflow.executeUpdateWithStart(UPDATES[control], {
      startWorkflowOperation: new WithStartWorkflowOperation(playbookTaskWorkflow, {
        ...startOptions(services, task),
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      }),
    });
    await markStarted(services.db, task);
    return result;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      throw conflict(`cannot ${control} the task: ${err.cause?.message ?? err.message}`);
    }
    throw err;
  }
}
