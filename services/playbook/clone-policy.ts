import { recordAudit } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import { playbookPolicies } from '../../db/schema/playbook.js';
import { notFound } from '../../domain/errors.js';
import { mergePolicyParams, SYSTEM_TEMPLATE, type TPolicyParamsPatch } from '../../domain/playbook/policy.js';
import type { Actor } from './actor.js';

export type PolicyRow = typeof playbookPolicies.$inferSelect;

/** Policy Center → My Policy: a copy of the system template, optionally named and with edited parameters. */
export async function clonePolicy(
  db: Database,
  actor: Actor,
  opts: { templateId: string; name?: string; description?: string; params?: TPolicyParamsPatch },
): Promise<PolicyRow> {
  if (opts.templateId !== SYSTEM_TEMPLATE.id) throw notFound('template');
  const params = mergePolicyParams(SYSTEM_TEMPLATE.params, opts.params);
  return db.transaction(async (tx) => {
    const [p] = await tx
      .insert(playbookPolicies)
      .values({
        accountId: actor.accountId,
        templateId: SYSTEM_TEMPLATE.id,
        name: opts.name ?? SYSTEM_TEMPLATE.name,
        description: opts.description ?? SYSTEM_TEMPLATE.description,
        params,
      })
      .returning();
    if (!p) throw new Error('policy row was not written');
    await recordAudit(tx, {
      ...actor,
      action: 'playbook_policy.clone',
      targetType: 'playbook_policy',
      targetId: p.id,
      after: p,
    });
    return p;
  });
}
