import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { directoryAccounts, managedMembers, resourceDirectories } from '../../db/schema/multi-account.js';
import { VigilError } from '../../domain/errors.js';
import type { DirectoryRow } from './directory-views.js';

/**
 * Puts an account into a directory (the primary key refuses a second directory) and, when the directory adds new
 * accounts automatically, onto its managed list.
 */
export async function joinDirectory(
  tx: Executor,
  opts: {
    directory: DirectoryRow;
    accountId: string;
    joinedVia: 'enabled' | 'created' | 'invited';
    addedBy: string;
  },
): Promise<{ managed: boolean }> {
  const [joined] = await tx
    .insert(directoryAccounts)
    .values({ accountId: opts.accountId, directoryId: opts.directory.id, joinedVia: opts.joinedVia })
    .onConflictDoNothing()
    .returning();
  if (!joined) throw new VigilError('conflict', 'the account already belongs to a resource directory');
  if (opts.joinedVia === 'enabled') return { managed: false };
  // Read the switch inside the transaction: a concurrent PUT /auto-add is either before or after this join.
  const [dir] = await tx
    .select({ autoAdd: resourceDirectories.autoAddNewAccounts })
    .from(resourceDirectories)
    .where(eq(resourceDirectories.id, opts.directory.id));
  if (!dir?.autoAdd) return { managed: false };
  await tx
    .insert(managedMembers)
    .values({
      accountId: opts.accountId,
      directoryId: opts.directory.id,
      addedBy: `auto-add:${opts.addedBy}`,
    })
    .onConflictDoNothing();
  return { managed: true };
}
