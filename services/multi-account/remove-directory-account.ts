import type { Database } from '../../db/client.js';
import { VigilError } from '../../domain/errors.js';
import type { MultiAccountActor } from './audit.js';
import { detachFromDirectory } from './detach-from-directory.js';
import type { DirectoryRow } from './directory-views.js';

/** The management account removes another account from the directory (same effects as that account leaving). */
export async function removeDirectoryAccount(
  db: Database,
  opts: { by: MultiAccountActor; directory: DirectoryRow; accountId: string },
): Promise<void> {
  if (opts.accountId === opts.directory.accountId) {
    throw new VigilError(
      'unprocessable',
      'the management account cannot be removed from its directory; it leaves once no other account is in it',
    );
  }
  await db.transaction((tx) =>
    detachFromDirectory(tx, {
      by: opts.by,
      directory: opts.directory,
      accountId: opts.accountId,
      otherParty: opts.accountId,
      action: 'resource_directory.account.remove',
    }),
  );
}
