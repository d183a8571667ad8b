import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { uuidv7 } from '../../domain/ids.js';
import { assets } from '../../db/schema/inventory.js';
import { vulnerabilities } from '../../db/schema/findings.js';
import {
  insertAttacks,
  textArrayLiteral,
  type IngestCounts,
  upsertAlerts,
  upsertBaselineRisks,
  upsertVulnerabilities,
} from '../../db/inventory/finding-upserts.js';
import type {
  TAlertInput,
  TAttackInput,
  TBaselineRiskInput,
  TVulnerabilityInput,
} from '../../domain/findings-input.js';

/**
 * Asset ids among `ids` that are not this account's, in their first order: ingestion names them in a 422 and writes
 * nothing. The ids travel as one uuid[] parameter (one index probe per id, not one bind parameter per id).
 */
export async function unknownAssetIds(
  db: Executor,
  accountId: string,
  ids: (string | undefined | null)[],
): Promise<string[]> {
  const wanted = [...new Set(ids.filter((x): x is string => typeof x === 'string'))];
  if (wanted.length === 0) return [];
  const rows = await db
    .select({ id: assets.id })
    .from(assets)
    .where(
      and(eq(assets.accountId, accountId), sql`${assets.id} = any(${textArrayLiteral(wanted)}::uuid[])`),
    );
  const found = new Set(rows.map((r) => r.id));
  return wanted.filter((id) => !found.has(id));
}

/** What a batch did: the API's answer to an ingest. */
export interface IngestResult {
  created: number;
  updated: number;
}

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
 * Scanner ingest: one row per (asset, type, name), the last item of a key a request repeats; a fixed one seen again
 * opens again, ignored stays ignored.
 * One set-based statement per request whatever its size (db/inventory/finding-upserts.ts); rows whose asset is not
 * the account's are left out and counted (`foreignAssetRows`), for the caller to refuse the batch.
 */
export function ingestVulnerabilities(
  db: Executor,
  accountId: string,
  items: TVulnerabilityInput[],
): Promise<IngestCounts> {
  const now = new Date();
  return upsertVulnerabilities(
    db,
    accountId,
    items.map((v) => ({
      id: uuidv7(),
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
      seen: v.scannedAt ? new Date(v.scannedAt) : now,
    })),
  );
}

export function ingestAlerts(db: Executor, accountId: string, items: TAlertInput[]): Promise<IngestCounts> {
  const now = new Date();
  return upsertAlerts(
    db,
    accountId,
    items.map((a) => ({
      id: uuidv7(),
      assetId: a.assetId ?? null,
      externalId: a.externalId,
      name: a.name,
      type: a.type,
      severity: a.severity,
      status: a.status,
      occurredAt: new Date(a.occurredAt),
      handledAt: a.status === 'unhandled' ? null : now,
    })),
  );
}

export function ingestBaselineRisks(
  db: Executor,
  accountId: string,
  items: TBaselineRiskInput[],
): Promise<IngestCounts> {
  return upsertBaselineRisks(
    db,
    accountId,
    items.map((b) => ({
      id: uuidv7(),
      assetId: b.assetId,
      checkName: b.checkName,
      category: b.category,
      severity: b.severity,
      status: b.status,
    })),
  );
}

export function ingestAttacks(db: Executor, accountId: string, items: TAttackInput[]): Promise<IngestCounts> {
  return insertAttacks(
    db,
    accountId,
    items.map((a) => ({
      id: uuidv7(),
      assetId: a.assetId ?? null,
      externalId: a.externalId,
      attackType: a.attackType,
      sourceIp: a.sourceIp ?? null,
      severity: a.severity,
      blocked: a.blocked,
      occurredAt: new Date(a.occurredAt),
    })),
  );
}
