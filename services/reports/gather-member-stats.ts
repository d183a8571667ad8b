import { and, desc, eq, inArray, lte, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Executor } from '../../db/client.js';
import { alerts, attackEvents, baselineRisks, vulnerabilities } from '../../db/schema/findings.js';
import { assets } from '../../db/schema/inventory.js';
import { SEVERITIES, type Severity } from '../../domain/findings.js';
import type { TReportPeriod } from '../../domain/reports/period.js';
import { severitiesAtLeast, type TReportItem } from '../../domain/reports/rules.js';
import type { TCount, TListedFinding, TReportStats } from '../../domain/reports/stats.js';
import { assetCounts, attackCounts, unhandledCounts, vulnerabilityCounts } from './stats-sql.js';
import {
  bySeverity,
  count,
  HIGH,
  OPEN_VULNERABILITY,
  severityRank,
  total,
  within,
  zero,
} from './stats-sql.js';

/**
 * The statistics of many accounts at once, for a consolidated report: each query scans its table once for all the
 * accounts (grouped by account; the listed rows ranked per account with a window), so 50 members cost the same
 * ten queries as one. The same numbers as `gatherReportStats` per account, with `listed` rows per list.
 */
export async function gatherMemberStats(
  db: Executor,
  opts: {
    accountIds: readonly string[];
    period: TReportPeriod;
    items: readonly TReportItem[];
    minSeverity?: Severity | null;
    listed: number;
  },
): Promise<Map<string, TReportStats>> {
  const p = opts.period;
  const ids = [...opts.accountIds];
  const want = new Set(opts.items);
  const out = new Map<string, TReportStats>();
  if (ids.length === 0) return out;
  const sevs = opts.minSeverity ? severitiesAtLeast(opts.minSeverity) : null;
  const scope = (t: { accountId: AnyPgColumn; severity: AnyPgColumn }) =>
    and(inArray(t.accountId, ids), sevs ? inArray(t.severity, sevs) : undefined);
  for (const id of ids) {
    out.set(id, {
      period: p,
      items: [...opts.items],
      openBySeverity: bySeverity(() => 0),
      ...(sevs ? { scope: { assetGroupId: null, minSeverity: opts.minSeverity ?? null } } : {}),
    });
  }
  const of = (id: string) => out.get(id) as TReportStats;
  const top = async <T extends { accountId: string }>(rows: Promise<T[]>): Promise<Map<string, T[]>> => {
    const m = new Map<string, T[]>();
    for (const r of await rows) m.set(r.accountId, [...(m.get(r.accountId) ?? []), r]);
    return m;
  };
  const listedOf = (r: {
    title: string;
    asset: string | null;
    severity: Severity;
    at: Date | null;
  }): TListedFinding => ({
    title: r.title,
    asset: r.asset ?? '',
    severity: r.severity,
    at: r.at?.toISOString() ?? '',
  });

  const handled = new Map<string, TCount>();
  const vulnerabilitySection = async () => {
    if (!want.has('vulnerabilities') && !want.has('issueResolved')) return;
    const v = vulnerabilities;
    const rows = await db
      .select({ accountId: v.accountId, severity: v.severity, ...vulnerabilityCounts(v, p) })
      .from(v)
      .where(scope(v))
      .groupBy(v.accountId, v.severity);
    const ranked = (where: SQL | undefined, at: AnyPgColumn) =>
      db
        .select({
          accountId: v.accountId,
          title: v.title,
          asset: assets.name,
          severity: v.severity,
          at: sql<Date | null>`${at}`.mapWith(v.firstSeenAt).as('at'),
          rn: sql<number>`row_number() over (partition by ${v.accountId} order by ${severityRank(v.severity)}, ${at} desc, ${v.id})`.as(
            'rn',
          ),
        })
        .from(v)
        .innerJoin(assets, eq(assets.id, v.assetId))
        .where(and(scope(v), where))
        .as('ranked');
    const openQ = ranked(
      and(inArray(v.status, OPEN_VULNERABILITY), inArray(v.severity, HIGH)),
      v.firstSeenAt,
    );
    const fixedQ = ranked(within(v.fixedAt, p.start, p.end), v.fixedAt);
    const [openHigh, fixed] = await Promise.all([
      top(db.select().from(openQ).where(lte(openQ.rn, opts.listed)).orderBy(openQ.accountId, openQ.rn)),
      want.has('issueResolved')
        ? top(
            db.select().from(fixedQ).where(lte(fixedQ.rn, opts.listed)).orderBy(fixedQ.accountId, fixedQ.rn),
          )
        : Promise.resolve(new Map()),
    ]);
    for (const id of ids) {
      const mine = rows.filter((r) => r.accountId === id);
      const added = bySeverity(zero);
      const open = bySeverity(() => 0);
      for (const r of mine) {
        added[r.severity] = { current: r.cur, previous: r.prev };
        open[r.severity] = r.open;
      }
      const s = of(id);
      if (want.has('vulnerabilities')) {
        s.vulnerabilities = {
          added: total(added),
          bySeverity: added,
          open,
          openHigh: (openHigh.get(id) ?? []).map(listedOf),
        };
        for (const sev of SEVERITIES) s.openBySeverity[sev] += open[sev];
      }
      if (want.has('issueResolved')) {
        s.issueResolved = {
          vulnerabilitiesFixed: mine.reduce(
            (a, r) => ({ current: a.current + r.fixedCur, previous: a.previous + r.fixedPrev }),
            zero(),
          ),
          alertsHandled: zero(),
          fixed: (
            (fixed.get(id) ?? []) as { title: string; asset: string; severity: Severity; at: Date | null }[]
          ).map(listedOf),
        };
      }
    }
  };

  const alertSection = async () => {
    if (!want.has('alerts') && !want.has('issueResolved')) return;
    const a = alerts;
    const rows = await db
      .select({
        accountId: a.accountId,
        severity: a.severity,
        ...unhandledCounts(a.status, a.occurredAt, p),
        handledCur: count(within(a.handledAt, p.start, p.end)),
        handledPrev: count(within(a.handledAt, p.previousStart, p.previousEnd)),
      })
      .from(a)
      .where(scope(a))
      .groupBy(a.accountId, a.severity);
    const rankedQ = db
      .select({
        accountId: a.accountId,
        title: a.name,
        asset: sql<string>`coalesce(${assets.name}, '')`.as('asset'),
        severity: a.severity,
        at: a.occurredAt,
        rn: sql<number>`row_number() over (partition by ${a.accountId} order by ${severityRank(a.severity)}, ${a.occurredAt} desc)`.as(
          'rn',
        ),
      })
      .from(a)
      .leftJoin(assets, eq(assets.id, a.assetId))
      .where(and(scope(a), eq(a.status, 'unhandled'), inArray(a.severity, HIGH)))
      .as('ranked');
    const openHigh = want.has('alerts')
      ? await top(
          db
            .select()
            .from(rankedQ)
            .where(lte(rankedQ.rn, opts.listed))
            .orderBy(rankedQ.accountId, rankedQ.rn),
        )
      : new Map();
    for (const id of ids) {
      const mine = rows.filter((r) => r.accountId === id);
      const s = of(id);
      if (want.has('alerts')) {
        const added = bySeverity(zero);
        let unhandled = 0;
        for (const r of mine) {
          added[r.severity] = { current: r.cur, previous: r.prev };
          s.openBySeverity[r.severity] += r.unhandled;
          unhandled += r.unhandled;
        }
        s.alerts = {
          added: total(added),
          bySeverity: added,
          unhandled,
          openHigh: (
            (openHigh.get(id) ?? []) as {
              title: string;
              asset: string;
              severity: Severity;
              at: Date | null;
            }[]
          ).map(listedOf),
        };
      }
      handled.set(
        id,
        mine.reduce(
          (acc, r) => ({ current: acc.current + r.handledCur, previous: acc.previous + r.handledPrev }),
          zero(),
        ),
      );
    }
  };

  const baselineSection = async () => {
    if (!want.has('baselineCheck')) return;
    const { accountId, severity, status, firstSeenAt } = baselineRisks;
    const rows = await db
      .select({ accountId, severity, ...unhandledCounts(status, firstSeenAt, p) })
      .from(baselineRisks)
      .where(scope(baselineRisks))
      .groupBy(accountId, severity);
    for (const id of ids) {
      const s = of(id);
      const added = bySeverity(zero);
      let unhandled = 0;
      for (const r of rows.filter((x) => x.accountId === id)) {
        added[r.severity] = { current: r.cur, previous: r.prev };
        s.openBySeverity[r.severity] += r.unhandled;
        unhandled += r.unhandled;
      }
      s.baselineCheck = { added: total(added), bySeverity: added, unhandled };
    }
  };

  const attackSection = async () => {
    if (!want.has('attack')) return;
    const e = attackEvents;
    const [rows, types] = await Promise.all([
      db
        .select({ accountId: e.accountId, ...attackCounts(e, p) })
        .from(e)
        .where(scope(e))
        .groupBy(e.accountId),
      db
        .select({ accountId: e.accountId, type: e.attackType, count: sql<number>`count(*)`.mapWith(Number) })
        .from(e)
        .where(and(scope(e), within(e.occurredAt, p.start, p.end)))
        .groupBy(e.accountId, e.attackType)
        .orderBy(e.accountId, desc(sql`count(*)`), e.attackType),
    ]);
    for (const id of ids) {
      const r = rows.find((x) => x.accountId === id);
      of(id).attack = {
        events: { current: r?.cur ?? 0, previous: r?.prev ?? 0 },
        blocked: { current: r?.blockedCur ?? 0, previous: r?.blockedPrev ?? 0 },
        topTypes: types
          .filter((t) => t.accountId === id)
          .slice(0, opts.listed)
          .map((t) => ({ type: t.type, count: t.count })),
      };
    }
  };

  const assetSection = async () => {
    if (!want.has('assets')) return;
    const v = vulnerabilities;
    const counts = await db
      .select({ accountId: assets.accountId, ...assetCounts(p) })
      .from(assets)
      .where(inArray(assets.accountId, ids))
      .groupBy(assets.accountId);
    const perAsset = db
      .select({
        accountId: v.accountId,
        assetId: v.assetId,
        critical: sql<number>`count(*) filter (where ${v.severity} = 'critical')`.as('critical'),
        high: sql<number>`count(*) filter (where ${v.severity} = 'high')`.as('high'),
        open: sql<number>`count(*)`.as('open'),
      })
      .from(v)
      .where(and(scope(v), inArray(v.status, OPEN_VULNERABILITY)))
      .groupBy(v.accountId, v.assetId)
      .as('per_asset');
    const rankedQ = db
      .select({
        accountId: perAsset.accountId,
        assetId: perAsset.assetId,
        critical: perAsset.critical,
        high: perAsset.high,
        open: perAsset.open,
        rn: sql<number>`row_number() over (partition by ${perAsset.accountId} order by ${perAsset.critical} desc, ${perAsset.high} desc, ${perAsset.open} desc, ${perAsset.assetId})`.as(
          'rn',
        ),
      })
      .from(perAsset)
      .as('ranked');
    const topRows = await db
      .select({
        accountId: rankedQ.accountId,
        name: assets.name,
        hostname: assets.hostname,
        critical: sql<number>`${rankedQ.critical}`.mapWith(Number),
        high: sql<number>`${rankedQ.high}`.mapWith(Number),
        open: sql<number>`${rankedQ.open}`.mapWith(Number),
      })
      .from(rankedQ)
      .innerJoin(assets, eq(assets.id, rankedQ.assetId))
      .where(lte(rankedQ.rn, opts.listed))
      .orderBy(rankedQ.accountId, rankedQ.rn);
    for (const id of ids) {
      const r = counts.find((x) => x.accountId === id);
      of(id).assets = {
        total: r?.total ?? 0,
        added: { current: r?.cur ?? 0, previous: r?.prev ?? 0 },
        agentOnline: r?.online ?? 0,
        agentOffline: r?.offline ?? 0,
        noAgent: r?.none ?? 0,
        topAffected: topRows
          .filter((t) => t.accountId === id)
          .map((t) => ({
            name: t.name,
            hostname: t.hostname,
            critical: t.critical,
            high: t.high,
            open: t.open,
          })),
      };
    }
  };

  // Independent scans: on Postgres each takes its own pooled connection, so they run side by side.
  await Promise.all([
    vulnerabilitySection(),
    alertSection(),
    baselineSection(),
    attackSection(),
    assetSection(),
  ]);
  for (const [id, h] of handled) {
    const s = of(id);
    if (s.issueResolved) s.issueResolved.alertsHandled = h;
  }
  return out;
}
