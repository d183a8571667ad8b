import { and, eq, inArray } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import { playbookPolicies, playbookTasks } from '../../db/schema/playbook.js';
import { conflict } from '../../domain/errors.js';
import { ACTIVE_TASK_STATUSES } from '../../domain/playbook/status.js';
import type { Actor } from './actor.js';
import { findPolicy } from './policy-views.js';

/** Deletes a policy; a 409 naming them while one of its tasks is Waiting, Progressing, Paused or Cancelling. */
export async function deletePolicy(db: Database, actor: Actor, opts: { policyId: string }): Promise<void> {
  const id = opts.policyId;
  await db.transaction(async (tx) => {
    const before = await findPolicy(tx, actor.accountId, id, { lock: true });
    const active = await tx
      .select({ id: playbookTasks.id, status: playbookTasks.status })
      .from(playbookTasks)
      .where(and(eq(playbookTasks.policyId, id), inArray(playbookTasks.status, [...ACTIVE_TASK_STATUSES])))
      .limit(10);
    if (active.length > 0)
      throw conflict('the policy has active tasks; cancel them or wait until they end', { tasks: active });
    await tx.delete(playbookPolicies).where(eq(playbookPolicies.id, id));
    await recordAudit(tx, {
      ...actor,
      action: 'playbook_policy.delete',
      targetType: 'playbook_policy',
      targetId: id,
      before,
    });
  });
}
