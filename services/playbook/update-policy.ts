import { eq } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import { playbookPolicies } from '../../db/schema/playbook.js';
import { notFound } from '../../domain/errors.js';
import { mergePolicyParams, type TPolicyParamsPatch } from '../../domain/playbook/policy.js';
import type { Actor } from './actor.js';
import { findPolicy } from './policy-views.js';
import type { PolicyRow } from './clone-policy.js';

/**
 * Edits a policy's name, description or parameters (a merge patch); existing tasks keep the parameters they were
 * created with.
 */
export async function updatePolicy(
  db: Database,
  actor: Actor,
  opts: { policyId: string; name?: string; description?: string; params?: TPolicyParamsPatch },
): Promise<PolicyRow> {
  const id = opts.policyId;
  return db.transaction(async (tx) => {
    const before = await findPolicy(tx, actor.accountId, id, { lock: true });
    const [after] = await tx
      .update(playbookPolicies)
      .set({
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        ...(opts.description !== undefined ? { description: opts.description } : {}),
        params: mergePolicyParams(before.params, opts.params),
      })
      .where(eq(playbookPolicies.id, id))
      .returning();
    if (!after) throw notFound('policy');
    await recordAudit(tx, {
      ...actor,
      action: 'playbook_policy.update',
      targetType: 'playbook_policy',
      targetId: id,
      before,
      after,
    });
    return after;
  });
}
