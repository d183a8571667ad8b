import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { accounts } from '../../db/schema/accounts.js';
import { directoryInvitations } from '../../db/schema/multi-account.js';
import { VigilError } from '../../domain/errors.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import { directoryStanding, type DirectoryRow } from './directory-views.js';
import type { InvitationRow } from './invitation-views.js';

/** Invites an existing account (by id) into the caller's directory; it accepts or declines with its own key. */
export async function inviteAccount(
  db: Database,
  opts: { by: MultiAccountActor; directory: DirectoryRow; inviteeAccountId: string },
): Promise<InvitationRow> {
  return db.transaction(async (tx) => {
    const [invitee] = await tx
      .select({ id: accounts.id })
      .from(accounts)
      .where(eq(accounts.id, opts.inviteeAccountId));
    if (!invitee) throw new VigilError('not_found', 'account not found');
    if (await directoryStanding(tx, invitee.id)) {
      throw new VigilError('conflict', 'the account already belongs to a resource directory');
    }
    const [row] = await tx
      .insert(directoryInvitations)
      .values({
        accountId: opts.directory.accountId,
        directoryId: opts.directory.id,
        inviteeAccountId: invitee.id,
        invitedBy: opts.by.actor,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new VigilError('conflict', 'the account already has a pending invitation');
    await recordCrossAccountAudit(tx, opts.by, invitee.id, {
      action: 'resource_directory.invitation.create',
      targetType: 'directory_invitation',
      targetId: row.id,
      after: row,
    });
    return row;
  });
}
