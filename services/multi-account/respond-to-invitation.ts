import { and, eq } from 'drizzle-orm';
import { directoryInvitations, resourceDirectories } from '../../db/schema/multi-account.js';
import { VigilError } from '../../domain/errors.js';
import { refuseUnlessPending } from '../../domain/multi-account/directory.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import type { InvitationRow } from './invitation-views.js';
import { joinDirectory } from './join-directory.js';
import type { SettingsRevisionRow } from './rollout-state.js';
import { startSavedRollouts } from './start-saved-rollouts.js';
import type { RolloutServices } from './start-settings-rollout.js';

/** The invitee accepts (joins the directory) or declines; only the invitee sees the invitation. */
export async function respondToInvitation(
  services: RolloutServices,
  opts: { by: MultiAccountActor; invitationId: string; accept: boolean },
): Promise<InvitationRow & { managed: boolean; directoryName: string }> {
  let revision: SettingsRevisionRow | null = null;
  const answered = await services.db.transaction(async (tx) => {
    const [inv] = await tx
      .select({ invitation: directoryInvitations, directory: resourceDirectories })
      .from(directoryInvitations)
      .innerJoin(resourceDirectories, eq(resourceDirectories.id, directoryInvitations.directoryId))
      .where(
        and(
          eq(directoryInvitations.id, opts.invitationId),
          eq(directoryInvitations.inviteeAccountId, opts.by.accountId),
        ),
      )
      .for('update');
    if (!inv) throw new VigilError('not_found', 'invitation not found');
    refuseUnlessPending(inv.invitation);
    let managed = false;
    if (opts.accept) {
      ({ managed, revision } = await joinDirectory(tx, {
        directory: inv.directory,
        accountId: opts.by.accountId,
        joinedVia: 'invited',
        by: opts.by,
      }));
    }
    const [after] = await tx
      .update(directoryInvitations)
      .set({ status: opts.accept ? 'accepted' : 'declined', respondedAt: new Date() })
      .where(eq(directoryInvitations.id, inv.invitation.id))
      .returning();
    if (!after) throw new Error('update returned no row');
    await recordCrossAccountAudit(tx, opts.by, inv.directory.accountId, {
      action: opts.accept ? 'resource_directory.invitation.accept' : 'resource_directory.invitation.decline',
      targetType: 'directory_invitation',
      targetId: after.id,
      before: { status: inv.invitation.status },
      after: { status: after.status, managed },
    });
    return { ...after, managed, directoryName: inv.directory.name };
  });
  if (revision)
    await startSavedRollouts(services, { revisions: [revision], adminAccountId: opts.by.accountId });
  return answered;
}
