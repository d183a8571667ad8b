import type { Database } from '../../db/client.js';
import { memberSettingsOverrides } from '../../db/schema/multi-account-policy.js';
import type { TMemberSettings } from '../../domain/multi-account/member-settings.js';
import { applyEffectiveSettings } from './apply-effective-settings.js';
import type { MultiAccountActor } from './audit.js';
import type { SettingsRevisionRow } from './rollout-state.js';

/**
 * Saves a whole settings document for a member as its next revision: every field becomes the member's own
 * (override), so the document is exactly what its agents get whatever the directory policy says. Audited in the
 * administrator's and the member's log. The rollout is started by the caller (`setMemberSettings`).
 */
export async function saveMemberSettings(
  db: Database,
  opts: { by: MultiAccountActor; memberId: string; settings: TMemberSettings },
): Promise<SettingsRevisionRow> {
  return db.transaction(async (tx) => {
    const own = { settings: opts.settings, actor: opts.by.actor, actorAccountId: opts.by.accountId };
    await tx
      .insert(memberSettingsOverrides)
      .values({ accountId: opts.memberId, ...own })
      .onConflictDoUpdate({ target: memberSettingsOverrides.accountId, set: own });
    const row = await applyEffectiveSettings(tx, {
      by: opts.by,
      memberId: opts.memberId,
      force: true,
      cause: 'member settings saved',
    });
    if (!row) throw new Error('a forced save returned no revision');
    return row;
  });
}
