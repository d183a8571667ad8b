import type { Executor } from '../../db/client.js';
import { oldestFirst } from '../../db/id-pages.js';
import { apiKeys } from '../../db/schema/accounts.js';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

/** One page of the account's API keys, oldest first (one more row than `limit` when there is a next page). */
export async function listApiKeys(
  db: Executor,
  opts: { accountId: string; after?: string; limit: number },
): Promise<ApiKeyRow[]> {
  return oldestFirst(db, apiKeys, opts);
}
