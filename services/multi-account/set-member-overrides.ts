import { unknownAssetIds } from '../inventory/ingest-findings.js';
import { memberSettingsOverrides } from '../../db/schema/multi-account-policy.js';
import { unprocessable } from '../../domain/errors.js';
import { settingsAssetIds } from '../../domain/multi-account/member-settings.js';
import { effectiveSettings, type TSettingsPatch } from '../../domain/multi-account/settings-policy.js';
import { applyEffectiveSettings } from './apply-effective-settings.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import { memberOverrides } from './settings-policy-views.js';
import { startSavedRollout } from './start-saved-rollouts.js';
import type { RolloutServices } from './start-settings-rollout.js';

/**
 * Sets a member's own settings (a partial document: the fields it names beat the directory default) and whether
 * the member is excluded from the directory policy (then its fields come from its overrides and the built-in
 * defaults only, and directory policy changes never reach it). A change of the effective settings is saved as a
 * new revision and rolled out. Audited in the administrator's and the member's log.
 */
export async function setMemberOverrides(
  services: RolloutServices,
  opts: {
    by: MultiAccountActor;
    memberId: string;
    overrides: TSettingsPatch;
    excludedFromDirectoryPolicy: boolean;
  },
): Promise<{ revision: number | null }> {
  // Only asset ids the overrides name are checked; a directory policy cannot name any.
  const named = settingsAssetIds(
    effectiveSettings({ overrides: opts.overrides, directoryDefault: null, excluded: true }).settings,
  );
  const unknown = await unknownAssetIds(services.db, opts.memberId, named);
  if (unknown.length > 0) {
    throw unprocessable(`${unknown.length} asset id(s) are not assets of the member`, { assetIds: unknown });
  }
  const row = await services.db.transaction(async (tx) => {
    const before = await memberOverrides(tx, opts.memberId);
    const values = {
      settings: opts.overrides,
      excludedFromPolicy: opts.excludedFromDirectoryPolicy,
      actor: opts.by.actor,
      actorAccountId: opts.by.accountId,
    };
    await tx
      .insert(memberSettingsOverrides)
      .values({ accountId: opts.memberId, ...values })
      .onConflictDoUpdate({ target: memberSettingsOverrides.accountId, set: values });
    await recordCrossAccountAudit(tx, opts.by, opts.memberId, {
      action: 'multi_account.member_settings.overrides.set',
      targetType: 'member_settings',
      targetId: opts.memberId,
      before: before
        ? { settings: before.settings, excludedFromDirectoryPolicy: before.excludedFromPolicy }
        : null,
      after: { settings: values.settings, excludedFromDirectoryPolicy: values.excludedFromPolicy },
    });
    // Takes the member's lock (404 when it is not managed: the whole change rolls back) and saves a revision
    // when the effective settings changed.
    return applyEffectiveSettings(tx, {
      by: opts.by,
      memberId: opts.memberId,
      cause: 'member overrides set',
    });
  });
  if (!row) return { revision: null };
  await startSavedRollout(services, row, opts.by.accountId);
  return { revision: row.revision };
}
