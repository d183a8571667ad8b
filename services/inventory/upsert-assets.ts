import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../db/client.js';
import { assetGroupMembers, assetGroups, assets } from '../../db/schema/inventory.js';
import type { TAssetInput } from '../../domain/inventory.js';

const CHUNK = 1000;

export interface UpsertAssetsResult {
  created: number;
  updated: number;
  ids: string[];
}

/** Inserts or updates assets by (account, instanceId); `groups` (names) replaces the asset's memberships. */
export async function upsertAssets(
  db: Database,
  accountId: string,
  input: TAssetInput[],
): Promise<UpsertAssetsResult> {
  return db.transaction((tx) => upsertAssetsIn(tx, accountId, input));
}

/** `upsertAssets` inside the caller's transaction (the audited report of assets writes its audit row with it). */
export async function upsertAssetsIn(
  tx: Executor,
  accountId: string,
  input: TAssetInput[],
): Promise<UpsertAssetsResult> {
  const byInstance = new Map<string, TAssetInput>();
  for (const a of input) byInstance.set(a.instanceId ?? a.hostname, a);
  const items = [...byInstance.entries()];
  let created = 0;
  let updated = 0;
  const idByInstance = new Map<string, string>();
  for (let i = 0; i < items.length; i += CHUNK) {
    const rows = items.slice(i, i + CHUNK).map(([instanceId, a]) => ({
      accountId,
      instanceId,
      name: a.name,
      hostname: a.hostname,
      ips: a.ips,
      ipText: a.ips.join(' '),
      osFamily: a.osFamily,
      osVersion: a.osVersion,
      tags: a.tags,
    }));
    const result = await tx
      .insert(assets)
      .values(rows)
      .onConflictDoUpdate({
        target: [assets.accountId, assets.instanceId],
        set: {
          name: sql`excluded.name`,
          hostname: sql`excluded.hostname`,
          ips: sql`excluded.ips`,
          ipText: sql`excluded.ip_text`,
          osFamily: sql`excluded.os_family`,
          osVersion: sql`excluded.os_version`,
          tags: sql`excluded.tags`,
          updatedAt: sql`now()`,
        },
      })
      .returning({ id: assets.id, instanceId: assets.instanceId, inserted: sql<boolean>`(xmax = 0)` });
    for (const r of result) {
      idByInstance.set(r.instanceId, r.id);
      if (r.inserted) created++;
      else updated++;
    }
  }
  await replaceGroupMemberships(tx, accountId, items, idByInstance);
  return { created, updated, ids: items.map(([k]) => idByInstance.get(k) ?? '') };
}

async function replaceGroupMemberships(
  tx: Executor,
  accountId: string,
  items: [string, TAssetInput][],
  idByInstance: Map<string, string>,
): Promise<void> {
  const withGroups = items.filter(([, a]) => a.groups !== undefined);
  if (withGroups.length === 0) return;
  const names = [...new Set(withGroups.flatMap(([, a]) => a.groups ?? []))];
  const groupIds = new Map<string, string>();
  if (names.length > 0) {
    await tx
      .insert(assetGroups)
      .values(names.map((name) => ({ accountId, name })))
      .onConflictDoNothing();
    const groups = await tx
      .select({ id: assetGroups.id, name: assetGroups.name })
      .from(assetGroups)
      .where(and(eq(assetGroups.accountId, accountId), inArray(assetGroups.name, names)));
    for (const g of groups) groupIds.set(g.name, g.id);
  }
  const assetIds = withGroups.map(([k]) => idByInstance.get(k)).filter((x): x is string => x !== undefined);
  for (let i = 0; i < assetIds.length; i += CHUNK) {
    await tx
      .delete(assetGroupMembers)
      .where(inArray(assetGroupMembers.assetId, assetIds.slice(i, i + CHUNK)));
  }
  const members = withGroups.flatMap(([k, a]) => {
    const assetId = idByInstance.get(k);
    return assetId === undefined
      ? []
      : [...new Set(a.groups ?? [])].flatMap((n) => {
          const groupId = groupIds.get(n);
          return groupId ? [{ accountId, groupId, assetId }] : [];
        });
  });
  for (let i = 0; i < members.length; i += CHUNK) {
    await tx
      .insert(assetGroupMembers)
      .values(members.slice(i, i + CHUNK))
      .onConflictDoNothing();
  }
}

/** Asset search lives with the inventory read model; the Playbook's task selection imports it from here. */
