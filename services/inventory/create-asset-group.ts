import { recordAudit } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import { assetGroups } from '../../db/schema/inventory.js';
import { conflict } from '../../domain/errors.js';
import type { InventoryActor } from './actor.js';

export type AssetGroupRow = typeof assetGroups.$inferSelect;

/** Creates an asset group (409 when the account has one of that name), audited in the same transaction. */
export async function createAssetGroup(
  db: Database,
  actor: InventoryActor,
  opts: { name: string; description: string },
): Promise<AssetGroupRow> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(assetGroups)
      .values({ accountId: actor.accountId, name: opts.name, description: opts.description })
      .onConflictDoNothing()
      .returning();
    if (!row) throw conflict(`an asset group named "${opts.name}" exists`);
    await recordAudit(tx, {
      ...actor,
      action: 'asset_group.create',
      targetType: 'asset_group',
      targetId: row.id,
      after: row,
    });
    return row;
  });
}
