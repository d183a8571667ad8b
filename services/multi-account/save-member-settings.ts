import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { managedMembers, memberSettingsRevisions } from '../../db/schema/multi-account.js';
import { VigilError } from '../../domain/errors.js';
import type { TMemberSettings } from '../../domain/multi-account/member-settings.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import { latestRevision, type SettingsRevisionRow } from './rollout-state.js';

/** Saves a member's settings as its next revision; audited in the administrator's and the member's log. */
export async function saveMemberSettings(
  db: Database,
  opts: { by: MultiAccountActor; memberId: string; settings: TMemberSettings },
): Promise<SettingsRevisionRow> {
  return db.transaction(async (tx) => {
    // The member's row lock serialises saves, so revisions are gap-free and never collide.
    const [member] = await tx
      .select({ id: managedMembers.accountId })
      .from(managedMembers)
      .where(eq(managedMembers.accountId, opts.memberId))
      .for('update');
    if (!member) throw new VigilError('not_found', 'managed member not found');
    const previous = await latestRevision(tx, opts.memberId);
    const [row] = await tx
      .insert(memberSettingsRevisions)
      .values({
        accountId: opts.memberId,
        revision: (previous?.revision ?? 0) + 1,
        settings: opts.settings,
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
      after: { revision: row.revision, settings: row.settings },
    });
    return row;
  });
}
