import { and, asc, eq, gt } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { apiKeys } from '../../db/schema/accounts.js';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

/** One page of the account's API keys, oldest first (one more row than `limit` when there is a next page). */
export async function listApiKeys(
  db: Executor,
  opts: { accountId: string; after?: string; limit: number },
): Promise<ApiKeyRow[]> {
  return db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.accountId, opts.accountId), opts.after ? gt(apiKeys.id, opts.after) : undefined))
    .orderBy(asc(apiKeys.id))
    .limit(opts.limit + 1);
}
