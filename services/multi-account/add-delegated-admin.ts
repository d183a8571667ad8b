import { and, count, eq, isNotNull } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { directoryAccounts, resourceDirectories } from '../../db/schema/multi-account.js';
import { VigilError } from '../../domain/errors.js';
import { MAX_DELEGATED_ADMINS } from '../../domain/multi-account/directory.js';
import type { MultiAccountActor } from './audit.js';
import { directoryAccount, type DirectoryRow } from './directory-views.js';
import { writeDelegatedAdmin } from './write-delegated-admin.js';

/** Designates a member account as a delegated administrator (management account only; at most five). */
export async function addDelegatedAdmin(
  db: Database,
  opts: { by: MultiAccountActor; directory: DirectoryRow; accountId: string },
): Promise<{ accountId: string; since: Date }> {
  return db.transaction(async (tx) => {
    // The directory row lock serialises concurrent designations, so the cap holds exactly.
    await tx
      .select({ id: resourceDirectories.id })
      .from(resourceDirectories)
      .where(eq(resourceDirectories.id, opts.directory.id))
      .for('update');
    const target = await directoryAccount(tx, opts.directory, opts.accountId);
    if (target.accountId === opts.directory.accountId) {
      throw new VigilError(
        'unprocessable',
        'the management account cannot be its own delegated administrator',
      );
    }
    if (target.delegatedAdminSince) return { accountId: target.accountId, since: target.delegatedAdminSince };
    const [current] = await tx
      .select({ n: count() })
      .from(directoryAccounts)
      .where(
        and(
          eq(directoryAccounts.directoryId, opts.directory.id),
          isNotNull(directoryAccounts.delegatedAdminSince),
        ),
      );
    if ((current?.n ?? 0) >= MAX_DELEGATED_ADMINS) {
      throw new VigilError(
        'unprocessable',
        `a resource directory has at most ${MAX_DELEGATED_ADMINS} delegated administrators (MAX_DELEGATED_ADMINS); remove one first`,
        { limit: MAX_DELEGATED_ADMINS, current: current?.n ?? 0 },
      );
    }
    const since = new Date();
    await writeDelegatedAdmin(tx, opts.by, target, since);
    return { accountId: target.accountId, since };
  });
}
