import { and, desc, eq, lt, or } from 'drizzle-orm';
import type { Database, Executor } from '../../db/client.js';
import { accounts } from '../../db/schema/accounts.js';
import { directoryInvitations, resourceDirectories } from '../../db/schema/multi-account.js';
import { MultiAccountRuleError } from '../../domain/multi-account/directory.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import { directoryStanding, joinDirectory, type DirectoryRow } from './directory.js';

export type InvitationRow = typeof directoryInvitations.$inferSelect;

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
    if (!invitee) throw new MultiAccountRuleError('not_found', 'account not found');
    if (await directoryStanding(tx, invitee.id)) {
      throw new MultiAccountRuleError('conflict', 'the account already belongs to a resource directory');
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
    if (!row) throw new MultiAccountRuleError('conflict', 'the account already has a pending invitation');
    await recordCrossAccountAudit(tx, opts.by, invitee.id, {
      action: 'resource_directory.invitation.create',
      targetType: 'directory_invitation',
      targetId: row.id,
      after: row,
    });
    return row;
  });
}

/** Invitations the account received, and those its directory sent when it is the management account; newest first. */
export async function listInvitations(
  db: Executor,
  opts: { accountId: string; before?: string; limit: number },
): Promise<(InvitationRow & { directoryName: string })[]> {
  const rows = await db
    .select({ invitation: directoryInvitations, directoryName: resourceDirectories.name })
    .from(directoryInvitations)
    .innerJoin(resourceDirectories, eq(resourceDirectories.id, directoryInvitations.directoryId))
    .where(
      and(
        or(
          eq(directoryInvitations.inviteeAccountId, opts.accountId),
          eq(directoryInvitations.accountId, opts.accountId),
        ),
        opts.before ? lt(directoryInvitations.id, opts.before) : undefined,
      ),
    )
    .orderBy(desc(directoryInvitations.id))
    .limit(opts.limit + 1);
  return rows.map((r) => ({ ...r.invitation, directoryName: r.directoryName }));
}

/** Only a pending invitation can be answered or cancelled: anything else is a 409 naming its state. */
function refuseUnlessPending(invitation: { status: string }): void {
  if (invitation.status !== 'pending') {
    throw new MultiAccountRuleError('conflict', `the invitation is already ${invitation.status}`);
  }
}

/** The invitee accepts (joins the directory) or declines; only the invitee sees the invitation. */
export async function respondToInvitation(
  db: Database,
  opts: { by: MultiAccountActor; invitationId: string; accept: boolean },
): Promise<InvitationRow & { managed: boolean; directoryName: string }> {
  return db.transaction(async (tx) => {
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
    if (!inv) throw new MultiAccountRuleError('not_found', 'invitation not found');
    refuseUnlessPending(inv.invitation);
    let managed = false;
    if (opts.accept) {
      ({ managed } = await joinDirectory(tx, {
        directory: inv.directory,
        accountId: opts.by.accountId,
        joinedVia: 'invited',
        addedBy: opts.by.actor,
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
}

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
    if (!inv) throw new MultiAccountRuleError('not_found', 'invitation not found');
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
