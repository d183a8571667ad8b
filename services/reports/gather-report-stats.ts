import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Executor } from '../../db/client.js';
import { alerts, attackEvents, baselineRisks, vulnerabilities } from '../../db/schema/findings.js';
import { assetGroupMembers, assetGroups, assets } from '../../db/schema/inventory.js';
import { SEVERITIES, type Severity } from '../../domain/findings.js';
import type { TReportPeriod } from '../../domain/reports/period.js';
import { severitiesAtLeast, type TReportItem } from '../../domain/reports/rules.js';
import type { TBySeverity, TCount, TListedFinding, TReportStats } from '../../domain/reports/stats.js';
import { assetCounts, attackCounts, unhandledCounts, vulnerabilityCounts } from './stats-sql.js';
import {
  bySeverity,
  HIGH,
  OPEN_VULNERABILITY,
  periodCounts,
  severityRank,
  total,
  within,
  zero,
} from './stats-sql.js';

/** Which rows a report counts: the account's, of one asset group's assets, of at least a severity. */
interface TScope {
  of(table: { accountId: AnyPgColumn; assetId: AnyPgColumn; severity: AnyPgColumn }): SQL;
  assets(): SQL;
}

function reportScope(opts: {
  accountId: string;
  assetGroupId?: string | null;
  minSeverity?: Severity | null;
}): TScope {
  const inGroup = (col: AnyPgColumn): SQL | undefined =>
    opts.assetGroupId
      ? sql`${col} in (select ${assetGroupMembers.assetId} from ${assetGroupMembers} where ${assetGroupMembers.groupId} = ${opts.assetGroupId} and ${assetGroupMembers.accountId} = ${opts.accountId})`
      : undefined;
  const severities = opts.minSeverity ? severitiesAtLeast(opts.minSeverity) : null;
  return {
    of: (t) =>
      and(
        eq(t.accountId, opts.accountId),
        inGroup(t.assetId),
        severities ? inArray(t.severity, severities) : undefined,
      ) ?? sql`true`,
    assets: () => and(eq(assets.accountId, opts.accountId), inGroup(assets.id)) ?? sql`true`,
  };
}

/** Rows listed per section (fixed vulnerabilities, open high-severity items, top assets). */
export const LISTED_ROWS = 8;

/** Per-severity rows of a grouped count → new-in-period counts against the previous period, and open counts. */
function splitBySeverity(rows: { severity: Severity; cur: number; prev: number; open: number }[]) {
  const bySev = bySeverity(zero);
  const open = bySeverity(() => 0);
  for (const r of rows) {
    bySev[r.severity] = { current: r.cur, previous: r.prev };
    open[r.severity] = r.open;
  }
  return { bySev, open };
}

/**
 * The statistics of one report period, one grouped pass per finding table (a few queries, whatever the account's
 * size): counts and deltas against the previous period, top affected assets, fixed and open high-severity items.
 */
export async function gatherReportStats(
  db: Executor,
  opts: {
    accountId: string;
    period: TReportPeriod;
    items: readonly TReportItem[];
    assetGroupId?: string | null;
    minSeverity?: Severity | null;
  },
): Promise<TReportStats> {
  const { period: p } = opts;
  const scope = reportScope(opts);
  const want = new Set(opts.items);
  const stats: TReportStats = {
    period: p,
    items: [...opts.items],
    ...(opts.assetGroupId || opts.minSeverity
      ? {
          scope: {
            assetGroupId: opts.assetGroupId ?? null,
            assetGroupName: opts.assetGroupId ? await groupName(db, opts.accountId, opts.assetGroupId) : null,
            minSeverity: opts.minSeverity ?? null,
          },
        }
      : {}),
    openBySeverity: { critical: 0, high: 0, medium: 0, low: 0 },
  };
  const addOpen = (open: TBySeverity<number>) => {
    for (const s of SEVERITIES) stats.openBySeverity[s] += open[s];
  };

  if (want.has('vulnerabilities') || want.has('issueResolved')) {
    const v = vulnerabilities;
    const rows = await db
      .select({ severity: v.severity, ...vulnerabilityCounts(v, p) })
      .from(v)
      .where(scope.of(v))
      .groupBy(v.severity);
    if (want.has('vulnerabilities')) {
      const { bySev, open } = splitBySeverity(rows);
      stats.vulnerabilities = {
        added: total(bySev),
        bySeverity: bySev,
        open,
        openHigh: await openHighVulnerabilities(db, scope),
      };
      addOpen(open);
    }
    if (want.has('issueResolved')) {
      const fixed = rows.reduce(
        (a, r) => ({ current: a.current + r.fixedCur, previous: a.previous + r.fixedPrev }),
        zero(),
      );
      stats.issueResolved = {
        vulnerabilitiesFixed: fixed,
        alertsHandled: await alertsHandled(db, scope, p),
        fixed: await fixedVulnerabilities(db, scope, p),
      };
    }
  }

  if (want.has('alerts')) {
    const a = alerts;
    const rows = await db
      .select({ severity: a.severity, ...unhandledCounts(a.status, a.occurredAt, p) })
      .from(a)
      .where(scope.of(a))
      .groupBy(a.severity);
    const { bySev, open } = splitBySeverity(rows.map((r) => ({ ...r, open: r.unhandled })));
    addOpen(open);
    const openHigh = await db
      .select({
        title: a.name,
        asset: sql<string>`coalesce(${assets.name}, '')`,
        severity: a.severity,
        at: a.occurredAt,
      })
      .from(a)
      .leftJoin(assets, eq(assets.id, a.assetId))
      .where(and(scope.of(a), eq(a.status, 'unhandled'), inArray(a.severity, HIGH)))
      .orderBy(severityRank(a.severity), desc(a.occurredAt))
      .limit(LISTED_ROWS);
    stats.alerts = {
      added: total(bySev),
      bySeverity: bySev,
      unhandled: Object.values(open).reduce((x, y) => x + y, 0),
      openHigh: openHigh.map(listed),
    };
  }

  if (want.has('baselineCheck')) {
    const b = baselineRisks;
    const rows = await db
      .select({ severity: b.severity, ...unhandledCounts(b.status, b.firstSeenAt, p) })
      .from(b)
      .where(scope.of(b))
      .groupBy(b.severity);
    const { bySev, open } = splitBySeverity(rows.map((r) => ({ ...r, open: r.unhandled })));
    addOpen(open);
    stats.baselineCheck = {
      added: total(bySev),
      bySeverity: bySev,
      unhandled: Object.values(open).reduce((x, y) => x + y, 0),
    };
  }

  if (want.has('attack')) {
    const e = attackEvents;
    const [row] = await db.select(attackCounts(e, p)).from(e).where(scope.of(e));
    const topTypes = await db
      .select({ type: e.attackType, count: sql<number>`count(*)`.mapWith(Number) })
      .from(e)
      .where(and(scope.of(e), within(e.occurredAt, p.start, p.end)))
      .groupBy(e.attackType)
      .orderBy(desc(sql`count(*)`), e.attackType)
      .limit(5);
    stats.attack = {
      events: { current: row?.cur ?? 0, previous: row?.prev ?? 0 },
      blocked: { current: row?.blockedCur ?? 0, previous: row?.blockedPrev ?? 0 },
      topTypes,
    };
  }

  if (want.has('assets')) stats.assets = await assetStats(db, scope, p);
  return stats;
}

function listed(r: { title: string; asset: string; severity: Severity; at: Date | null }): TListedFinding {
  return { title: r.title, asset: r.asset, severity: r.severity, at: r.at?.toISOString() ?? '' };
}

async function openHighVulnerabilities(db: Executor, scope: TScope): Promise<TListedFinding[]> {
  const v = vulnerabilities;
  const rows = await db
    .select({ title: v.title, asset: assets.name, severity: v.severity, at: v.firstSeenAt })
    .from(v)
    .innerJoin(assets, eq(assets.id, v.assetId))
    .where(and(scope.of(v), inArray(v.status, OPEN_VULNERABILITY), inArray(v.severity, HIGH)))
    .orderBy(severityRank(v.severity), desc(v.firstSeenAt), v.id)
    .limit(LISTED_ROWS);
  return rows.map(listed);
}

async function fixedVulnerabilities(
  db: Executor,
  scope: TScope,
  p: TReportPeriod,
): Promise<TListedFinding[]> {
  const v = vulnerabilities;
  const rows = await db
    .select({ title: v.title, asset: assets.name, severity: v.severity, at: v.fixedAt })
    .from(v)
    .innerJoin(assets, eq(assets.id, v.assetId))
    .where(and(scope.of(v), within(v.fixedAt, p.start, p.end)))
    .orderBy(severityRank(v.severity), desc(v.fixedAt), v.id)
    .limit(LISTED_ROWS);
  return rows.map(listed);
}

async function alertsHandled(db: Executor, scope: TScope, p: TReportPeriod): Promise<TCount> {
  const a = alerts;
  const [row] = await db.select(periodCounts(a.handledAt, p)).from(a).where(scope.of(a));
  return { current: row?.cur ?? 0, previous: row?.prev ?? 0 };
}

async function assetStats(
  db: Executor,
  scope: TScope,
  p: TReportPeriod,
): Promise<NonNullable<TReportStats['assets']>> {
  const [row] = await db.select(assetCounts(p)).from(assets).where(scope.assets());
  const v = vulnerabilities;
  const critical = sql<number>`count(*) filter (where ${v.severity} = 'critical')`.mapWith(Number);
  const high = sql<number>`count(*) filter (where ${v.severity} = 'high')`.mapWith(Number);
  const topAffected = await db
    .select({
      name: assets.name,
      hostname: assets.hostname,
      critical,
      high,
      open: sql<number>`count(*)`.mapWith(Number),
    })
    .from(v)
    .innerJoin(assets, eq(assets.id, v.assetId))
    .where(and(scope.of(v), inArray(v.status, OPEN_VULNERABILITY)))
    .groupBy(assets.id, assets.name, assets.hostname)
    .orderBy(desc(critical), desc(high), desc(sql`count(*)`), assets.name)
    .limit(LISTED_ROWS);
  return {
    total: row?.total ?? 0,
    added: { current: row?.cur ?? 0, previous: row?.prev ?? 0 },
    agentOnline: row?.online ?? 0,
    agentOffline: row?.offline ?? 0,
    noAgent: row?.none ?? 0,
    topAffected,
  };
}

async function groupName(db: Executor, accountId: string, id: string): Promise<string | null> {
  const [g] = await db
    .select({ name: assetGroups.name })
    .from(assetGroups)
    .where(and(eq(assetGroups.id, id), eq(assetGroups.accountId, accountId)));
  return g?.name ?? null;
}
