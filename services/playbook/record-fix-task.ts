import { sql } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import { playbookTaskAssets, playbookTasks, playbookTaskVulnerabilities } from '../../db/schema/playbook.js';
import type { TCreateTaskBody } from '../../domain/playbook/task-input.js';
import type { Actor } from './actor.js';
import { CHUNK, planFixTask } from './plan-fix-task.js';
import type { TSelectionPreview } from './selection-preview.js';

/**
 * Writes a fix task from a policy: the plan (`planFixTask`) written — the row, its assets (execution 1, Pending)
 * and units with the audit row in one transaction. `createFixTask` then starts its workflow (the outbox step).
 */
export async function recordFixTask(
  db: Database,
  actor: Actor,
  opts: { policyId: string; body: TCreateTaskBody; now?: Date },
): Promise<{ task: typeof playbookTasks.$inferSelect; preview: TSelectionPreview }> {
  const { accountId } = actor;
  const { body } = opts;
  const { policy, window, status, assetIds, units, distinct, preview } = await planFixTask(db, {
    ...opts,
    accountId,
  });

  const task = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(playbookTasks)
      .values({
        accountId,
        policyId: policy.id,
        name: body.name,
        params: policy.params,
        status,
        mode: body.execution.mode,
        windowStart: window?.startAt ?? null,
        windowEnd: window?.endAt ?? null,
        timeZone: window?.timeZone ?? null,
        selection: {
          groupIds: body.assets.groupIds,
          assetIds: body.assets.assetIds,
          search: body.assets.search ?? null,
          excludeAssetIds: body.assets.excludeAssetIds,
        },
        channelIds: body.channelIds,
        assetCount: assetIds.length,
        vulnerabilityCount: distinct,
        createdBy: actor.actor,
        startedAt: status === 'Progressing' ? sql`now()` : null,
      })
      .returning();
    if (!row) throw new Error('task row was not written');
    const task = row;
    for (let i = 0; i < assetIds.length; i += CHUNK) {
      await tx
        .insert(playbookTaskAssets)
        .values(
          assetIds
            .slice(i, i + CHUNK)
            .map((assetId, j) => ({ accountId, taskId: task.id, execution: 1, assetId, position: i + j })),
        );
    }
    for (let i = 0; i < units.length; i += CHUNK) {
      await tx.insert(playbookTaskVulnerabilities).values(
        units.slice(i, i + CHUNK).map((u) => ({
          accountId,
          taskId: task.id,
          vulnerabilityId: u.vulnerabilityId,
          assetId: u.assetId,
        })),
      );
    }
    await recordAudit(tx, {
      ...actor,
      action: 'playbook_task.create',
      targetType: 'playbook_task',
      targetId: task.id,
      after: { ...task, units: units.length },
    });
    return task;
  });
  return { task, preview };
}
