import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { managedMembers, memberSettingsRevisions } from '../../db/schema/multi-account.js';
import { notFound } from '../../domain/errors.js';
import { readStoredSettings } from '../../domain/multi-account/member-settings.js';
import { sameSettings } from '../../domain/multi-account/settings-policy.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import { latestRevision, type SettingsRevisionRow } from './rollout-state.js';
import { memberEffectiveSettings } from './settings-policy-views.js';

/**
 * Inside the caller's transaction: builds the member's effective settings (override → directory default →
 * built-in) and saves them as its next revision when they differ from its latest one (always with `force`, the
 * explicit save of a whole document). A member with neither a directory policy to inherit nor settings of its own
 * gets nothing. Audited in the administrator's and the member's log; the caller starts the rollout after commit.
 */
export async function applyEffectiveSettings(
  tx: Executor,
  opts: { by: MultiAccountActor; memberId: string; force?: boolean; cause: string },
): Promise<SettingsRevisionRow | null> {
  // The member's row lock serialises saves, so revisions are gap-free and never collide.
  const [member] = await tx
    .select({ id: managedMembers.accountId })
    .from(managedMembers)
    .where(eq(managedMembers.accountId, opts.memberId))
    .for('update');
  if (!member) throw notFound('managed member');
  const effective = await memberEffectiveSettings(tx, opts.memberId);
  if (!effective.governed && !opts.force) return null;
  const previous = await latestRevision(tx, opts.memberId);
  if (!opts.force && previous && sameSettings(readStoredSettings(previous.settings), effective.settings)) {
    return null;
  }
  const [row] = await tx
    .insert(memberSettingsRevisions)
    .values({
      accountId: opts.memberId,
      revision: (previous?.revision ?? 0) + 1,
      settings: effective.settings,
      actor: opts.by.actor,
      actorAccountId: opts.by.accountId,
    })
    .returning();
  if (!row) throw new Error('insert returned no row');
  await recordCrossAccountAudit(tx, opts.by, opts.memberId, {
    action: 'multi_account.member_settings.save',
    targetType: 'member_settings',
    targetId: `${opts.memberId}:${row.revision}`,
    before: previous ? { revision: previous.revision, settings: previous.settings } : null,
    after: {
      revision: row.revision,
      settings: row.settings,
      cause: opts.cause,
      directoryPolicyRevision: effective.directoryPolicyRevision,
    },
  });
  return row;
}
