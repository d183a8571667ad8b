import { and, eq, gt, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Database, Executor } from '../../db/client.js';
import { assetGroupMembers, assetGroups, assets } from '../../db/schema/inventory.js';
import { FUZZY_SIMILARITY, likePattern, type TAssetInput } from '../../domain/inventory.js';
import type { OsFamily } from '../../domain/findings.js';

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
  const byInstance = new Map<string, TAssetInput>();
  for (const a of input) byInstance.set(a.instanceId ?? a.hostname, a);
  const items = [...byInstance.entries()];
  return db.transaction(async (tx) => {
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
  });
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

export interface AssetFilter {
  accountId: string;
  search?: string;
  groupId?: string;
  os?: OsFamily;
  agentStatus?: 'online' | 'offline' | 'none';
  ids?: string[];
}

/** Name, hostname or IP contains the search string (taken literally). */
export function containsSearch(search: string): SQL {
  const pattern = likePattern(search);
  return sql`(${assets.name} ILIKE ${pattern} OR ${assets.hostname} ILIKE ${pattern} OR ${assets.ipText} ILIKE ${pattern})`;
}

/**
 * The WHERE clause of an asset query: name/hostname/IP substring or fuzzy name match, group, OS, agent status.
 * Every search branch is indexable by the trigram GIN indexes (`%` finds fuzzy candidates through the index;
 * `similarity` then applies Vigil's stricter threshold).
 */
export function assetConditions(f: AssetFilter): SQL[] {
  const conds: SQL[] = [eq(assets.accountId, f.accountId)];
  const search = f.search?.trim();
  if (search) {
    conds.push(
      sql`(${containsSearch(search)} OR (${assets.name} % ${search} AND similarity(${assets.name}, ${search}) > ${FUZZY_SIMILARITY}))`,
    );
  }
  if (f.groupId) {
    conds.push(
      sql`exists (select 1 from ${assetGroupMembers} where ${assetGroupMembers.assetId} = ${assets.id} and ${assetGroupMembers.groupId} = ${f.groupId})`,
    );
  }
  if (f.os) conds.push(eq(assets.osFamily, f.os));
  if (f.agentStatus) conds.push(eq(assets.agentStatus, f.agentStatus));
  if (f.ids) conds.push(inArray(assets.id, f.ids));
  return conds;
}

export type AssetRow = typeof assets.$inferSelect & { groups: { id: string; name: string }[]; rank?: number };

/**
 * Relevance of an asset to a search string, as an integer so that it can sit in a cursor: an exact name, hostname or
 * IP match first (3000), then substring matches (2000), then fuzzy name matches; within each class by trigram
 * similarity of the name (0–1000).
 */
export function searchRank(search: string): SQL<number> {
  const lowered = search.toLowerCase();
  return sql<number>`(case
    when lower(${assets.name}) = ${lowered} or lower(${assets.hostname}) = ${lowered} or ${assets.ipText} = ${search} then 3000
    when ${containsSearch(search)} then 2000
    else 0 end + round(similarity(${assets.name}, ${search}) * 1000))::int`;
}

/**
 * One page of assets. Without a search, in id (creation) order; with one, most relevant first (`searchRank`), ties in
 * id order, so that the asset a user typed the name of is on the first page however many others resemble it.
 */
export async function listAssets(
  db: Database,
  filter: AssetFilter,
  pageOpts: { limit: number; after?: string; afterRank?: number },
): Promise<AssetRow[]> {
  const conds = assetConditions(filter);
  const search = filter.search?.trim();
  if (!search) {
    if (pageOpts.after) conds.push(gt(assets.id, pageOpts.after));
    const rows = await db
      .select()
      .from(assets)
      .where(and(...conds))
      .orderBy(assets.id)
      .limit(pageOpts.limit + 1);
    return withGroups(db, rows);
  }
  const rank = searchRank(search);
  if (pageOpts.after) {
    const afterRank = pageOpts.afterRank ?? Number.MAX_SAFE_INTEGER;
    const next = or(
      sql`${rank} < ${afterRank}`,
      and(sql`${rank} = ${afterRank}`, gt(assets.id, pageOpts.after)),
    );
    if (next) conds.push(next);
  }
  const rows = await db
    .select({ asset: assets, rank })
    .from(assets)
    .where(and(...conds))
    .orderBy(sql`${rank} desc`, assets.id)
    .limit(pageOpts.limit + 1);
  const ranked = await withGroups(
    db,
    rows.map((r) => r.asset),
  );
  return ranked.map((r, i) => ({ ...r, rank: rows[i]?.rank }));
}

export async function getAsset(db: Database, accountId: string, id: string): Promise<AssetRow | null> {
  const rows = await db
    .select()
    .from(assets)
    .where(and(eq(assets.accountId, accountId), eq(assets.id, id)));
  const [row] = await withGroups(db, rows);
  return row ?? null;
}

async function withGroups(db: Database, rows: (typeof assets.$inferSelect)[]): Promise<AssetRow[]> {
  if (rows.length === 0) return [];
  const memberships = await db
    .select({ assetId: assetGroupMembers.assetId, id: assetGroups.id, name: assetGroups.name })
    .from(assetGroupMembers)
    .innerJoin(assetGroups, eq(assetGroups.id, assetGroupMembers.groupId))
    .where(
      inArray(
        assetGroupMembers.assetId,
        rows.map((r) => r.id),
      ),
    );
  const byAsset = new Map<string, { id: string; name: string }[]>();
  for (const m of memberships) {
    const list = byAsset.get(m.assetId) ?? [];
    list.push({ id: m.id, name: m.name });
    byAsset.set(m.assetId, list);
  }
  return rows.map((r) => ({ ...r, groups: byAsset.get(r.id) ?? [] }));
}
