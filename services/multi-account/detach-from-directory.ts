import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { directoryAccounts, managedMembers } from '../../db/schema/multi-account.js';
import { VigilError } from '../../domain/errors.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import type { DirectoryRow } from './directory-views.js';

/**
 * Takes an account out of its directory: its membership row goes, and with it its delegated administration (a
 * column of that row, so the next request of that account is refused) and its place on the managed list. The
 * account keeps its own data — findings, agents and its settings revisions (so revision numbers never restart
 * and agents never see an older number again); a settings rollout still running stops at its next pass. Audited
 * in the logs of the acting account and of the other party.
 */
export async function detachFromDirectory(
  tx: Executor,
  opts: {
    by: MultiAccountActor;
    directory: DirectoryRow;
    accountId: string;
    otherParty: string;
    action: string;
  },
): Promise<void> {
  // Deleting first takes the row lock: of two concurrent removals, the second finds nothing (404).
  const [member] = await tx
    .delete(directoryAccounts)
    .where(
      and(
        eq(directoryAccounts.accountId, opts.accountId),
        eq(directoryAccounts.directoryId, opts.directory.id),
      ),
    )
    .returning();
  if (!member) throw new VigilError('not_found', 'no such account in this resource directory');
  const [managed] = await tx
    .delete(managedMembers)
    .where(
      and(eq(managedMembers.accountId, opts.accountId), eq(managedMembers.directoryId, opts.directory.id)),
    )
    .returning({ addedBy: managedMembers.addedBy });
  await recordCrossAccountAudit(tx, opts.by, opts.otherParty, {
    action: opts.action,
    targetType: 'account',
    targetId: opts.accountId,
    before: {
      directoryId: opts.directory.id,
      joinedVia: member.joinedVia,
      delegatedAdminSince: member.delegatedAdminSince,
      managed: managed !== undefined,
    },
    after: null,
  });
}
