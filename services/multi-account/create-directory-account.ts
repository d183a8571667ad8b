import { accountCreatedHooks } from '../accounts/account-hooks.js';
import { createAccount, type CreatedAccount } from '../accounts/create-account.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import type { DirectoryRow } from './directory-views.js';
import { joinDirectory } from './join-directory.js';
import type { SettingsRevisionRow } from './rollout-state.js';
import { startSavedRollouts } from './start-saved-rollouts.js';
import type { RolloutServices } from './start-settings-rollout.js';

/**
 * Creates a member account inside the directory; its admin key is in the result (shown once). With auto-add on, it
 * is managed from the start and receives the directory's settings policy.
 */
export async function createDirectoryAccount(
  services: RolloutServices,
  opts: { by: MultiAccountActor; directory: DirectoryRow; name: string; timeZone?: string },
): Promise<CreatedAccount & { managed: boolean }> {
  let managed = false;
  let revision: SettingsRevisionRow | null = null;
  const created = await createAccount(services.db, { name: opts.name, timeZone: opts.timeZone }, [
    ...accountCreatedHooks,
    async (tx, account) => {
      ({ managed, revision } = await joinDirectory(tx, {
        directory: opts.directory,
        accountId: account.id,
        joinedVia: 'created',
        by: opts.by,
      }));
      await recordCrossAccountAudit(tx, opts.by, account.id, {
        action: 'resource_directory.account.create',
        targetType: 'account',
        targetId: account.id,
        after: { name: account.name, directoryId: opts.directory.id, managed },
      });
    },
  ]);
  // An auto-added member inherits the directory policy at once; a rollout that does not start is repaired later.
  if (revision)
    await startSavedRollouts(services, { revisions: [revision], adminAccountId: opts.by.accountId });
  return { ...created, managed };
}
