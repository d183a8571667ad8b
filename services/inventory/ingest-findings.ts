import { and, eq, inArray, sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { uuidv7 } from '../../domain/ids.js';
import { assets } from '../../db/schema/inventory.js';
import { alerts, attackEvents, baselineRisks, vulnerabilities } from '../../db/schema/findings.js';
import type {
  TAlertInput,
  TAttackInput,
  TBaselineRiskInput,
  TVulnerabilityInput,
} from '../../domain/findings-input.js';

const CHUNK = 500;

/** Asset ids among `ids` that are not this account's: ingestion names them in a 422 and writes nothing. */
export async function unknownAssetIds(
  db: Executor,
  accountId: string,
  ids: (string | undefined | null)[],
): Promise<string[]> {
  const wanted = [...new Set(ids.filter((x): x is string => typeof x === 'string'))];
  const found = new Set<string>();
  for (let i = 0; i < wanted.length; i += 5000) {
    const rows = await db
      .select({ id: assets.id })
      .from(assets)
      .where(and(eq(assets.accountId, accountId), inArray(assets.id, wanted.slice(i, i + 5000))));
    for (const r of rows) found.add(r.id);
  }
  return wanted.filter((id) => !found.has(id));
}

export interface IngestResult {
  created: number;
  updated: number;
}

/** Writes in chunks on the caller's transaction, so that all chunks and the caller's audit row commit together. */
async function chunked<T>(
  tx: Executor,
  items: T[],
  write: (tx: Executor, chunk: T[]) => Promise<{ inserted: boolean }[]>,
): Promise<IngestResult> {
  const out = { created: 0, updated: 0 };
  for (let i = 0; i < items.length; i += CHUNK) {
    for (const r of await write(tx, items.slice(i, i + CHUNK))) {
      if (r.inserted) out.created++;
      else out.updated++;
    }
  }
  return out;
}

const inserted = sql<boolean>`(xmax = 0)`;

/** What a report of a known vulnerability refreshes (scanner ingest and agent scans alike). */
export const vulnerabilitySeenAgain = {
  title: sql`excluded.title`,
  cveIds: sql`excluded.cve_ids`,
  severity: sql`excluded.severity`,
  packageName: sql`excluded.package_name`,
  installedVersion: sql`excluded.installed_version`,
  fixedVersion: sql`excluded.fixed_version`,
  lastSeenAt: sql`greatest(${vulnerabilities.lastSeenAt}, excluded.last_seen_at)`,
  latestScanAt: sql`greatest(${vulnerabilities.latestScanAt}, excluded.latest_scan_at)`,
};

/**
 * Scanner ingest: one row per (asset, type, name); a fixed one seen again opens again, ignored stays ignored.
 * One set-based statement per request whatever its size (up to 10,000 rows): the rows travel as one JSON parameter,
 * `jsonb_to_recordset` turns them into a relation, and a single INSERT … ON CONFLICT DO UPDATE upserts them all, so
 * the statement triggers (risk counts) and index maintenance run once per request, not once per 500-row chunk.
 */
export async function ingestVulnerabilities(
  db: Executor,
  accountId: string,
  items: TVulnerabilityInput[],
): Promise<IngestResult> {
  const rows = dedupe(items, (v) => `${v.assetId}|${v.type}|${v.name}`).map((v) => ({
    id: uuidv7(),
    asset_id: v.assetId,
    type: v.type,
    name: v.name,
    title: v.title,
    cve_ids: v.cveIds,
    severity: v.severity,
    fixable: v.fixable,
    package_name: v.packageName ?? null,
    installed_version: v.installedVersion ?? null,
    fixed_version: v.fixedVersion ?? null,
    kb_id: v.kbId ?? null,
    cms_component: v.cmsComponent ?? null,
    status: v.status,
    seen: v.scannedAt ? new Date(v.scannedAt).toISOString() : new Date().toISOString(),
  }));
  if (rows.length === 0) return { created: 0, updated: 0 };
  const [counts] = await queryRows<{ created: number; updated: number }>(
    db,
    sql`with input as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(
        id uuid, asset_id uuid, type text, name text, title text, cve_ids text[], severity text, fixable boolean,
        package_name text, installed_version text, fixed_version text, kb_id text, cms_component text, status text,
        seen timestamptz)
    ), upserted as (
      insert into vulnerabilities as v (id, account_id, asset_id, type, name, title, cve_ids, severity, fixable,
        package_name, installed_version, fixed_version, kb_id, cms_component, status, first_seen_at, last_seen_at,
        latest_scan_at, fixed_at)
      select id, ${accountId}::uuid, asset_id, type, name, title, cve_ids, severity, fixable, package_name,
        installed_version, fixed_version, kb_id, cms_component, status, seen, seen, seen,
        case when status = 'fixed' then seen end
      from input
      on conflict (account_id, asset_id, type, name) do update set
        title = excluded.title,
        cve_ids = excluded.cve_ids,
        severity = excluded.severity,
        package_name = excluded.package_name,
        installed_version = excluded.installed_version,
        fixed_version = excluded.fixed_version,
        last_seen_at = greatest(v.last_seen_at, excluded.last_seen_at),
        latest_scan_at = greatest(v.latest_scan_at, excluded.latest_scan_at),
        fixable = excluded.fixable,
        kb_id = excluded.kb_id,
        cms_component = excluded.cms_component,
        status = case when v.status = 'ignored' then 'ignored'
                      when excluded.status = 'fixed' then 'fixed'
                      when v.status = 'fixed' then 'open'
                      else v.status end,
        fixed_at = case when excluded.status = 'fixed' then coalesce(v.fixed_at, excluded.fixed_at) else null end,
        updated_at = now()
      returning (xmax = 0) as inserted
    )
    select (count(*) filter (where inserted))::int as created, (count(*) filter (where not inserted))::int as updated
    from upserted`,
  );
  return { created: Number(counts?.created ?? 0), updated: Number(counts?.updated ?? 0) };
}

export function ingestAlerts(tx: Executor, accountId: string, items: TAlertInput[]) {
  return chunked(
    tx,
    dedupe(items, (a) => a.externalId),
    (tx, chunk) =>
      tx
        .insert(alerts)
        .values(
          chunk.map((a) => ({
            accountId,
            assetId: a.assetId ?? null,
            externalId: a.externalId,
            name: a.name,
            type: a.type,
            severity: a.severity,
            status: a.status,
            occurredAt: new Date(a.occurredAt),
            handledAt: a.status === 'unhandled' ? null : new Date(),
          })),
        )
        .onConflictDoUpdate({
          target: [alerts.accountId, alerts.externalId],
          set: {
            name: sql`excluded.name`,
            type: sql`excluded.type`,
            severity: sql`excluded.severity`,
            status: sql`excluded.status`,
            handledAt: sql`excluded.handled_at`,
            updatedAt: sql`now()`,
          },
        })
        .returning({ inserted }),
  );
}

export function ingestBaselineRisks(tx: Executor, accountId: string, items: TBaselineRiskInput[]) {
  return chunked(
    tx,
    dedupe(items, (b) => `${b.assetId}|${b.checkName}`),
    (tx, chunk) =>
      tx
        .insert(baselineRisks)
        .values(
          chunk.map((b) => ({
            accountId,
            assetId: b.assetId,
            checkName: b.checkName,
            category: b.category,
            severity: b.severity,
            status: b.status,
          })),
        )
        .onConflictDoUpdate({
          target: [baselineRisks.accountId, baselineRisks.assetId, baselineRisks.checkName],
          set: {
            category: sql`excluded.category`,
            severity: sql`excluded.severity`,
            status: sql`excluded.status`,
            lastSeenAt: sql`now()`,
            updatedAt: sql`now()`,
          },
        })
        .returning({ inserted }),
  );
}

export function ingestAttacks(tx: Executor, accountId: string, items: TAttackInput[]) {
  return chunked(
    tx,
    dedupe(items, (a) => a.externalId),
    (tx, chunk) =>
      tx
        .insert(attackEvents)
        .values(
          chunk.map((a) => ({
            accountId,
            assetId: a.assetId ?? null,
            externalId: a.externalId,
            attackType: a.attackType,
            sourceIp: a.sourceIp ?? null,
            severity: a.severity,
            blocked: a.blocked,
            occurredAt: new Date(a.occurredAt),
          })),
        )
        .onConflictDoNothing({ target: [attackEvents.accountId, attackEvents.externalId] })
        .returning({ inserted }),
  );
}

/** The last item wins when one request names the same natural key twice (Postgres refuses both in one upsert). */
function dedupe<T>(items: T[], key: (t: T) => string): T[] {
  const m = new Map<string, T>();
  for (const it of items) m.set(key(it), it);
  return [...m.values()];
}
