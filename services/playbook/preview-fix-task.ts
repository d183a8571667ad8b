import type { Database } from '../../db/client.js';
import type { TCreateTaskBody } from '../../domain/playbook/task-input.js';
import { planFixTask } from './plan-fix-task.js';
import type { TSelectionPreview } from './selection-preview.js';

/** What a task body would touch, per tab, exactly as create would store it; nothing is written. */
export async function previewFixTask(
  db: Database,
  opts: { accountId: string; policyId: string; body: TCreateTaskBody; now?: Date },
): Promise<TSelectionPreview> {
  return (await planFixTask(db, opts)).preview;
}
