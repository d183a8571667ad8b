import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../db/client.js';
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

async function chunked<T>(
  db: Database,
  items: T[],
  write: (tx: Executor, chunk: T[]) => Promise<{ inserted: boolean }[]>,
): Promise<IngestResult> {
  return db.transaction(async (tx) => {
    const out = { created: 0, updated: 0 };
    for (let i = 0; i < items.length; i += CHUNK) {
      for (const r of await write(tx, items.slice(i, i + CHUNK))) {
        if (r.inserted) out.created++;
        else out.updated++;
      }
    }
    return out;
  });
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

/** Scanner ingest: one row per (asset, type, name); a fixed one seen again opens again, ignored stays ignored. */
export function ingestVulnerabilities(db: Database, accountId: string, items: TVulnerabilityInput[]) {
  return chunked(
    db,
    dedupe(items, (v) => `${v.assetId}|${v.type}|${v.name}`),
    (tx, chunk) =>
      tx
        .insert(vulnerabilities)
        .values(
          chunk.map((v) => {
            const seen = v.scannedAt ? new Date(v.scannedAt) : new Date();
            return {
              accountId,
              assetId: v.assetId,
              type: v.type,
              name: v.name,
              title: v.title,
              cveIds: v.cveIds,
              severity: v.severity,
              fixable: v.fixable,
              packageName: v.packageName ?? null,
              installedVersion: v.installedVersion ?? null,
              fixedVersion: v.fixedVersion ?? null,
              kbId: v.kbId ?? null,
              cmsComponent: v.cmsComponent ?? null,
              status: v.status,
              firstSeenAt: seen,
              lastSeenAt: seen,
              latestScanAt: seen,
              fixedAt: v.status === 'fixed' ? seen : null,
            };
          }),
        )
        .onConflictDoUpdate({
          target: [
            vulnerabilities.accountId,
            vulnerabilities.assetId,
            vulnerabilities.type,
            vulnerabilities.name,
          ],
          set: {
            ...vulnerabilitySeenAgain,
            fixable: sql`excluded.fixable`,
            kbId: sql`excluded.kb_id`,
            cmsComponent: sql`excluded.cms_component`,
            status: sql`case when ${vulnerabilities.status} = 'ignored' then 'ignored'
                           when excluded.status = 'fixed' then 'fixed'
                           when ${vulnerabilities.status} = 'fixed' then 'open'
                           else ${vulnerabilities.status} end`,
            fixedAt: sql`case when excluded.status = 'fixed' then coalesce(${vulnerabilities.fixedAt}, excluded.fixed_at) else null end`,
            updatedAt: sql`now()`,
          },
        })
        .returning({ inserted }),
  );
}

export function ingestAlerts(db: Database, accountId: string, items: TAlertInput[]) {
  return chunked(
    db,
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

export function ingestBaselineRisks(db: Database, accountId: string, items: TBaselineRiskInput[]) {
  return chunked(
    db,
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

export function ingestAttacks(db: Database, accountId: string, items: TAttackInput[]) {
  return chunked(
    db,
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
