import { inArray, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { assets } from '../../db/schema/inventory.js';
import { SEVERITIES } from '../../domain/findings.js';
import type { TReportPeriod } from '../../domain/reports/period.js';
import type { TBySeverity, TCount } from '../../domain/reports/stats.js';

/*
 * The query pieces a report's statistics are made of, shared by the one-account pass (`gatherReportStats`) and the
 * many-account pass (`gatherMemberStats`) so that both count the same rows the same way.
 */

export const OPEN_VULNERABILITY = ['open', 'fixing'] as const;
export const HIGH = ['critical', 'high'] as const;

export const count = (where: SQL) => sql<number>`count(*) filter (where ${where})`.mapWith(Number);
export const within = (col: AnyPgColumn, from: string, to: string) =>
  sql`${col} >= ${from}::timestamptz and ${col} < ${to}::timestamptz`;
export const severityRank = (col: AnyPgColumn) =>
  sql`case ${col} when 'critical' then 0 when 'high' then 1 when 'medium' then 2 else 3 end`;

/** Rows whose `at` falls in the period (`cur`) and in the one before it (`prev`). */
export const periodCounts = (at: AnyPgColumn, p: TReportPeriod) => ({
  cur: count(within(at, p.start, p.end)),
  prev: count(within(at, p.previousStart, p.previousEnd)),
});

/** The select list of a severity-grouped vulnerability pass: found, still open and fixed, per period. */
export function vulnerabilityCounts(
  v: { firstSeenAt: AnyPgColumn; fixedAt: AnyPgColumn; status: AnyPgColumn },
  p: TReportPeriod,
) {
  const fixed = periodCounts(v.fixedAt, p);
  return {
    ...periodCounts(v.firstSeenAt, p),
    open: count(inArray(v.status, OPEN_VULNERABILITY)),
    fixedCur: fixed.cur,
    fixedPrev: fixed.prev,
  };
}

/** The select list of a severity-grouped pass over alerts or baseline risks: new per period, still unhandled. */
export const unhandledCounts = (status: AnyPgColumn, at: AnyPgColumn, p: TReportPeriod) => ({
  ...periodCounts(at, p),
  unhandled: count(sql`${status} = 'unhandled'`),
});

/** The select list of the attack-event pass: events and blocked events, per period. */
export const attackCounts = (e: { occurredAt: AnyPgColumn; blocked: AnyPgColumn }, p: TReportPeriod) => ({
  ...periodCounts(e.occurredAt, p),
  blockedCur: count(sql`${e.blocked} and ${within(e.occurredAt, p.start, p.end)}`),
  blockedPrev: count(sql`${e.blocked} and ${within(e.occurredAt, p.previousStart, p.previousEnd)}`),
});

/** The select list of the asset pass: assets at the period's end, added per period, and by agent status. */
export const assetCounts = (p: TReportPeriod) => ({
  total: count(sql`${assets.createdAt} < ${p.end}::timestamptz`),
  ...periodCounts(assets.createdAt, p),
  online: count(sql`${assets.agentStatus} = 'online'`),
  offline: count(sql`${assets.agentStatus} = 'offline'`),
  none: count(sql`${assets.agentStatus} = 'none'`),
});

export const zero = (): TCount => ({ current: 0, previous: 0 });

export const bySeverity = <T>(make: () => T): TBySeverity<T> => ({
  critical: make(),
  high: make(),
  medium: make(),
  low: make(),
});

/** The counts of all severities together. */
export const total = (b: TBySeverity<TCount>): TCount =>
  SEVERITIES.reduce(
    (a, s) => ({ current: a.current + b[s].current, previous: a.previous + b[s].previous }),
    zero(),
  );
