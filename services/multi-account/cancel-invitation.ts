import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { directoryInvitations } from '../../db/schema/multi-account.js';
import { VigilError } from '../../domain/errors.js';
import { refuseUnlessPending } from '../../domain/multi-account/directory.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import type { DirectoryRow } from './directory-views.js';
import type { InvitationRow } from './invitation-views.js';

/**
 * The management account withdraws a pending invitation of its directory; the invitee can no longer accept it
 * (409). Another directory's invitation is a 404. `respondedAt` records when it was cancelled.
 */
export async function cancelInvitation(
  db: Database,
  opts: { by: MultiAccountActor; directory: DirectoryRow; invitationId: string },
): Promise<InvitationRow & { directoryName: string }> {
  return db.transaction(async (tx) => {
    const [inv] = await tx
      .select()
      .from(directoryInvitations)
      .where(
        and(
          eq(directoryInvitations.id, opts.invitationId),
          eq(directoryInvitations.directoryId, opts.directory.id),
        ),
      )
      .for('update');
    if (!inv) throw new VigilError('not_found', 'invitation not found');
    refuseUnlessPending(inv);
    const [after] = await tx
      .update(directoryInvitations)
      .set({ status: 'cancelled', respondedAt: new Date() })
      .where(eq(directoryInvitations.id, inv.id))
      .returning();
    if (!after) throw new Error('update returned no row');
    await recordCrossAccountAudit(tx, opts.by, inv.inviteeAccountId, {
      action: 'resource_directory.invitation.cancel',
      targetType: 'directory_invitation',
      targetId: inv.id,
      before: { status: inv.status },
      after: { status: after.status },
    });
    return { ...after, directoryName: opts.directory.name };
  });
}
