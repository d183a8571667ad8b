import { count } from 'drizzle-orm';
import { createAccount } from '../services/accounts/create-account.js';
import type { Database } from '../db/client.js';
import { accounts } from '../db/schema/accounts.js';

/**
 * The first start creates a default account and returns its admin key (to print once); later starts return null.
 * VIGIL_BOOTSTRAP_API_KEY, when set at the first start, becomes that key.
 */
export async function ensureDefaultAccount(
  db: Database,
  bootstrapKey?: string,
): Promise<{ accountId: string; apiKey: string } | null> {
  const [row] = await db.select({ n: count() }).from(accounts);
  if ((row?.n ?? 0) > 0) return null;
  const created = await createAccount(db, { name: 'Default account', adminKey: bootstrapKey });
  return { accountId: created.account.id, apiKey: created.adminKey.key };
}
