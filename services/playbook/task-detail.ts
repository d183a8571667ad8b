import type { TFlowGraph } from '../../domain/playbook/flow.js';
import type { Services } from '../../platform/services.js';
import { findCheckedTask } from './reconcile-task.js';
import { logSummary, taskAssets, taskChannels, taskFlow, toTaskDto } from './task-views.js';

type Deps = Pick<Services, 'db' | 'temporal' | 'logger'>;
interface Reader {
  accountId: string;
  requestId: string;
}

/** Assets shown on a task's detail; the rest are paged through /assets. */
export const DETAIL_ASSETS = 100;

/** Task details (seed): the task, its first assets, notification settings and log summary. */
export async function taskDetail(deps: Deps, reader: Reader, taskId: string) {
  const task = await findCheckedTask(deps, reader.accountId, taskId, reader.requestId);
  const [assets, channels, log] = await Promise.all([
    taskAssets(deps.db, task, { execution: task.execution, limit: DETAIL_ASSETS }),
    taskChannels(deps.db, task),
    logSummary(deps.db, task),
  ]);
  return { ...toTaskDto(task), assets: assets.slice(0, DETAIL_ASSETS), notification: { channels }, log };
}

/** The policy flow of a task's current execution, after checking that its workflow did not end outside Vigil. */
export async function taskFlowView(deps: Deps, reader: Reader, taskId: string): Promise<TFlowGraph> {
  const task = await findCheckedTask(deps, reader.accountId, taskId, reader.requestId);
  return taskFlow(deps.db, task);
}
