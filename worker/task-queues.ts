/** Named task queues; the prefix lets tests (and several deployments on one cluster) stay apart. */
export const TASK_QUEUE_NAMES = ['playbook', 'reports', 'signature', 'accounts'] as const;
export type TaskQueueName = (typeof TASK_QUEUE_NAMES)[number];
export type TaskQueues = Record<TaskQueueName, string>;

export function taskQueues(prefix: string): TaskQueues {
  return Object.fromEntries(TASK_QUEUE_NAMES.map((n) => [n, `${prefix}-${n}`])) as TaskQueues;
}
