import { recordAudit } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import type { TAssetInput } from '../../domain/inventory.js';
import type { InventoryActor } from './actor.js';
import { upsertAssetsIn, type UpsertAssetsResult } from './upsert-assets.js';

/** Bulk upsert of reported assets (idempotent by instanceId), audited in the same transaction. */
export async function reportAssets(
  db: Database,
  actor: InventoryActor,
  opts: { assets: TAssetInput[] },
): Promise<UpsertAssetsResult> {
  return db.transaction(async (tx) => {
    const result = await upsertAssetsIn(tx, actor.accountId, opts.assets);
    await recordAudit(tx, {
      ...actor,
      action: 'assets.upsert',
      targetType: 'asset',
      after: { created: result.created, updated: result.updated, count: opts.assets.length },
    });
    return result;
  });
}
