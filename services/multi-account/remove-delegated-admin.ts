import type { Database } from '../../db/client.js';
import { VigilError } from '../../domain/errors.js';
import type { MultiAccountActor } from './audit.js';
import { directoryAccount, type DirectoryRow } from './directory-views.js';
import { writeDelegatedAdmin } from './write-delegated-admin.js';

/** Withdraws delegated administration; the next request of that account is refused (rights are never cached). */
export async function removeDelegatedAdmin(
  db: Database,
  opts: { by: MultiAccountActor; directory: DirectoryRow; accountId: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    const target = await directoryAccount(tx, opts.directory, opts.accountId);
    if (!target.delegatedAdminSince) throw new VigilError('not_found', 'delegated administrator not found');
    await writeDelegatedAdmin(tx, opts.by, target, null);
  });
}
