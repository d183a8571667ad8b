import { and, asc, eq, gt } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { assetGroups } from '../../db/schema/inventory.js';
import type { AssetGroupRow } from './create-asset-group.js';

/** The account's asset groups in id order after `after`; fetch `limit + 1` to know whether a next page exists. */
export async function listAssetGroups(
  db: Executor,
  accountId: string,
  opts: { after: string | undefined; limit: number },
): Promise<AssetGroupRow[]> {
  return db
    .select()
    .from(assetGroups)
    .where(and(eq(assetGroups.accountId, accountId), opts.after ? gt(assetGroups.id, opts.after) : undefined))
    .orderBy(asc(assetGroups.id))
    .limit(opts.limit);
}
