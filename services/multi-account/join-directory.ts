import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { directoryAccounts, managedMembers, resourceDirectories } from '../../db/schema/multi-account.js';
import { VigilError } from '../../domain/errors.js';
import { applyEffectiveSettings } from './apply-effective-settings.js';
import type { MultiAccountActor } from './audit.js';
import type { DirectoryRow } from './directory-views.js';
import type { SettingsRevisionRow } from './rollout-state.js';

/**
 * Puts an account into a directory (the primary key refuses a second directory) and, when the directory adds new
 * accounts automatically, onto its managed list, where it inherits the directory's settings policy at once: the
 * settings revision saved for it here is rolled out by the caller after the commit.
 */
export async function joinDirectory(
  tx: Executor,
  opts: {
    directory: DirectoryRow;
    accountId: string;
    joinedVia: 'enabled' | 'created' | 'invited';
    by: MultiAccountActor;
  },
): Promise<{ managed: boolean; revision: SettingsRevisionRow | null }> {
  const [joined] = await tx
    .insert(directoryAccounts)
    .values({ accountId: opts.accountId, directoryId: opts.directory.id, joinedVia: opts.joinedVia })
    .onConflictDoNothing()
    .returning();
  if (!joined) throw new VigilError('conflict', 'the account already belongs to a resource directory');
  if (opts.joinedVia === 'enabled') return { managed: false, revision: null };
  // Read the switch inside the transaction: a concurrent PUT /auto-add is either before or after this join.
  const [dir] = await tx
    .select({ autoAdd: resourceDirectories.autoAddNewAccounts })
    .from(resourceDirectories)
    .where(eq(resourceDirectories.id, opts.directory.id));
  if (!dir?.autoAdd) return { managed: false, revision: null };
  await tx
    .insert(managedMembers)
    .values({
      accountId: opts.accountId,
      directoryId: opts.directory.id,
      addedBy: `auto-add:${opts.by.actor}`,
    })
    .onConflictDoNothing();
  const revision = await applyEffectiveSettings(tx, {
    by: opts.by,
    memberId: opts.accountId,
    cause: 'added to the managed list automatically',
  });
  return { managed: true, revision };
}
