import type { Database } from '../../db/client.js';
import { accounts } from '../../db/schema/accounts.js';
import { accountCreatedHooks, type AccountCreatedHook } from './account-hooks.js';
import { createApiKey, type CreatedApiKey } from './api-keys.js';

export interface CreatedAccount {
  account: typeof accounts.$inferSelect;
  adminKey: CreatedApiKey;
}

/** A new tenant with one admin key. Feature hooks (default report, directory auto-add) run in `afterCreate`. */
export async function createAccount(
  db: Database,
  opts: { name: string; timeZone?: string; adminKey?: string },
  afterCreate: readonly AccountCreatedHook[] = accountCreatedHooks,
): Promise<CreatedAccount> {
  return db.transaction(async (tx) => {
    const [account] = await tx
      .insert(accounts)
      .values({ name: opts.name, timeZone: opts.timeZone ?? 'UTC' })
      .returning();
    if (!account) throw new Error('insert returned no row');
    const adminKey = await createApiKey(tx, {
      accountId: account.id,
      name: 'default admin key',
      role: 'admin',
      key: opts.adminKey,
    });
    for (const hook of afterCreate) await hook(tx, account);
    return { account, adminKey };
  });
}
