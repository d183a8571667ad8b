import type { Database } from '../../db/client.js';
import { accountCreatedHooks } from '../../activities/accounts/account-hooks.js';
import { createAccount, type CreatedAccount } from '../../activities/accounts/api-keys.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import type { DirectoryRow } from './directory-views.js';
import { joinDirectory } from './join-directory.js';

/** Creates a member account inside the directory; its admin key is in the result (shown once). */
export async function createDirectoryAccount(
  db: Database,
  opts: { by: MultiAccountActor; directory: DirectoryRow; name: string; timeZone?: string },
): Promise<CreatedAccount & { managed: boolean }> {
  let managed = false;
  const created = await createAccount(db, { name: opts.name, timeZone: opts.timeZone }, [
    ...accountCreatedHooks,
    async (tx, account) => {
      ({ managed } = await joinDirectory(tx, {
        directory: opts.directory,
        accountId: account.id,
        joinedVia: 'created',
        addedBy: opts.by.actor,
      }));
      await recordCrossAccountAudit(tx, opts.by, account.id, {
        action: 'resource_directory.account.create',
        targetType: 'account',
        targetId: account.id,
        after: { name: account.name, directoryId: opts.directory.id, managed },
      });
    },
  ]);
  return { ...created, managed };
}
