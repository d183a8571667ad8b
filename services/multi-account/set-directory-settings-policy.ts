import { and, eq, notExists } from 'drizzle-orm';
import { directorySettingsPolicies, memberSettingsOverrides } from '../../db/schema/multi-account-policy.js';
import { managedMembers } from '../../db/schema/multi-account.js';
import { unavailable } from '../../domain/errors.js';
import {
  assertDirectoryPolicyNamesNoAssets,
  type TSettingsPatch,
} from '../../domain/multi-account/settings-policy.js';
import { applyEffectiveSettings } from './apply-effective-settings.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import type { DirectoryRow } from './directory-views.js';
import type { DirectoryPolicyRow } from './settings-policy-views.js';
import { startSavedRollouts } from './start-saved-rollouts.js';
import type { RolloutServices } from './start-settings-rollout.js';

export interface SetPolicyResult {
  policy: DirectoryPolicyRow;
  /** Managed members whose effective settings changed: each got a new revision and a rollout. */
  membersChanged: number;
}

/**
 * Sets the directory's default member settings (a partial document) and, in the same transaction, gives every
 * managed member that inherits it and whose effective settings change a new revision; their rollouts start after
 * the commit. Excluded members and fields a member overrides are untouched. Audited in the acting account's log
 * and the management account's; every new revision in the member's log too.
 */
export async function setDirectorySettingsPolicy(
  services: RolloutServices,
  opts: { by: MultiAccountActor; directory: DirectoryRow; settings: TSettingsPatch },
): Promise<SetPolicyResult> {
  assertDirectoryPolicyNamesNoAssets(opts.settings);
  const { policy, revisions } = await services.db.transaction(async (tx) => {
    // The directory row lock orders concurrent policy saves, so policy revisions never collide.
    const [before] = await tx
      .select()
      .from(directorySettingsPolicies)
      .where(eq(directorySettingsPolicies.directoryId, opts.directory.id))
      .for('update');
    const values = {
      settings: opts.settings,
      revision: (before?.revision ?? 0) + 1,
      actor: opts.by.actor,
      actorAccountId: opts.by.accountId,
    };
    const [policy] = await tx
      .insert(directorySettingsPolicies)
      .values({ directoryId: opts.directory.id, accountId: opts.directory.accountId, ...values })
      .onConflictDoUpdate({ target: directorySettingsPolicies.directoryId, set: values })
      .returning();
    if (!policy) throw new Error('upsert returned no row');
    await recordCrossAccountAudit(tx, opts.by, opts.directory.accountId, {
      action: 'multi_account.settings_policy.set',
      targetType: 'resource_directory',
      targetId: opts.directory.id,
      before: before ? { revision: before.revision, settings: before.settings } : null,
      after: { revision: policy.revision, settings: policy.settings },
    });
    const inheriting = await tx
      .select({ id: managedMembers.accountId })
      .from(managedMembers)
      .where(
        and(
          eq(managedMembers.directoryId, opts.directory.id),
          notExists(
            tx
              .select({ one: memberSettingsOverrides.accountId })
              .from(memberSettingsOverrides)
              .where(
                and(
                  eq(memberSettingsOverrides.accountId, managedMembers.accountId),
                  eq(memberSettingsOverrides.excludedFromPolicy, true),
                ),
              ),
          ),
        ),
      )
      .orderBy(managedMembers.accountId);
    const revisions = [];
    for (const m of inheriting) {
      const row = await applyEffectiveSettings(tx, {
        by: opts.by,
        memberId: m.id,
        cause: `directory settings policy revision ${policy.revision}`,
      });
      if (row) revisions.push(row);
    }
    return { policy, revisions };
  });
  const { failed } = await startSavedRollouts(services, { revisions, adminAccountId: opts.by.accountId });
  if (failed.length > 0) {
    throw unavailable(
      `the policy is saved and ${revisions.length} member revision(s) with it; ${failed.length} rollout(s) start when Temporal is reachable again`,
      { members: failed.map((f) => f.memberId) },
    );
  }
  return { policy, membersChanged: revisions.length };
}
