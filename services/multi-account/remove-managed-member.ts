import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { managedMembers } from '../../db/schema/multi-account.js';
import { VigilError } from '../../domain/errors.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import type { DirectoryRow } from './directory-views.js';

/** Takes an account off the managed list; it stays in the directory and keeps its settings revisions. */
export async function removeManagedMember(
  db: Database,
  opts: { by: MultiAccountActor; directory: DirectoryRow; accountId: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [gone] = await tx
      .delete(managedMembers)
      .where(
        and(eq(managedMembers.directoryId, opts.directory.id), eq(managedMembers.accountId, opts.accountId)),
      )
      .returning();
    if (!gone) throw new VigilError('not_found', 'managed member not found');
    await recordCrossAccountAudit(tx, opts.by, gone.accountId, {
      action: 'multi_account.member.remove',
      targetType: 'account',
      targetId: gone.accountId,
      before: { directoryId: gone.directoryId, addedBy: gone.addedBy },
    });
  });
}
