import { and, count, eq, ne } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { directoryAccounts, resourceDirectories } from '../../db/schema/multi-account.js';
import { VigilError } from '../../domain/errors.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import { detachFromDirectory } from './detach-from-directory.js';
import { directoryStanding } from './directory-views.js';

/**
 * The caller leaves its directory. A member or delegated administrator simply leaves (see `detachFromDirectory`).
 * The management account may leave only once no other account is in the directory (409 otherwise); the directory
 * then closes, and its pending invitations go with it.
 */
export async function leaveDirectory(
  db: Database,
  opts: { by: MultiAccountActor },
): Promise<{ directoryId: string; directoryClosed: boolean }> {
  return db.transaction(async (tx) => {
    const standing = await directoryStanding(tx, opts.by.accountId);
    if (!standing) throw new VigilError('not_found', 'resource directory not found');
    const { directory } = standing;
    if (standing.role !== 'management') {
      await detachFromDirectory(tx, {
        by: opts.by,
        directory,
        accountId: opts.by.accountId,
        otherParty: directory.accountId,
        action: 'resource_directory.leave',
      });
      return { directoryId: directory.id, directoryClosed: false };
    }
    // The directory row lock waits for joins in flight (their foreign key holds it), so the count is final.
    await tx
      .select({ id: resourceDirectories.id })
      .from(resourceDirectories)
      .where(eq(resourceDirectories.id, directory.id))
      .for('update');
    const [others] = await tx
      .select({ n: count() })
      .from(directoryAccounts)
      .where(
        and(
          eq(directoryAccounts.directoryId, directory.id),
          ne(directoryAccounts.accountId, directory.accountId),
        ),
      );
    const n = others?.n ?? 0;
    if (n > 0) {
      throw new VigilError(
        'conflict',
        `the management account cannot leave while ${n} other account(s) are in the directory; remove them first`,
        { accounts: n },
      );
    }
    await tx.delete(resourceDirectories).where(eq(resourceDirectories.id, directory.id));
    await recordCrossAccountAudit(tx, opts.by, opts.by.accountId, {
      action: 'resource_directory.leave',
      targetType: 'resource_directory',
      targetId: directory.id,
      before: directory,
      after: { directoryClosed: true },
    });
    return { directoryId: directory.id, directoryClosed: true };
  });
}
