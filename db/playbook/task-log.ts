import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../client.js';
import { playbookTaskLogs } from '../schema/playbook.js';
import { uuidv7 } from '../../domain/ids.js';
import type { StepKeys } from './steps.js';

export interface TaskLogEntry {
  accountId: string;
  taskId: string;
  execution: number;
  dedupeKey: string;
  level: 'info' | 'warn' | 'error';
  event: string;
  message: string;
  assetId?: string | null;
  stepId?: string | null;
}

/** One line of a task's log, once per dedupe key. */
export async function writeLog(db: Executor, entry: TaskLogEntry): Promise<void> {
  await db.insert(playbookTaskLogs).values(entry).onConflictDoNothing();
}

/**
 * The log line of a statement whose data-modifying CTE `ended` returned a row (none when it changed nothing), like
 * `writeLog` but inside that statement; `dedupeKey`, `message` and `stepId` may read the CTE's columns.
 */
export function logLineOfEnded(
  k: StepKeys,
  line: { dedupeKey: SQL; level: 'info' | 'error'; event: string; message: SQL; stepId: SQL },
): SQL {
  return sql`insert into ${playbookTaskLogs}
      (id, account_id, task_id, execution, dedupe_key, level, event, message, asset_id, step_id)
    select ${uuidv7()}::uuid, ${k.accountId}::uuid, ${k.taskId}::uuid, ${k.execution}::int, ${line.dedupeKey},
      ${line.level}::text, ${line.event}::text, ${line.message}, ${k.assetId}::uuid, ${line.stepId}
    from ended
    on conflict do nothing`;
}
