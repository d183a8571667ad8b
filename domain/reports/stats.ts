import type { Severity } from '../findings.js';
import type { TReportPeriod } from './period.js';
import type { TReportItem } from './rules.js';

/** A count in the report period and in the period of the same length before it. */
export interface TCount {
  current: number;
  previous: number;
}

export type TBySeverity<T> = Record<Severity, T>;

export interface TListedFinding {
  title: string;
  asset: string;
  severity: Severity;
  at: string;
}

/** Everything a report shows; small (tens of rows), built by one activity, passed to rendering. */
export interface TReportStats {
  period: TReportPeriod;
  items: TReportItem[];
  issueResolved?: { vulnerabilitiesFixed: TCount; alertsHandled: TCount; fixed: TListedFinding[] };
  assets?: {
    total: number;
    added: TCount;
    agentOnline: number;
    agentOffline: number;
    noAgent: number;
    topAffected: { name: string; hostname: string; critical: number; high: number; open: number }[];
  };
  alerts?: { added: TCount; bySeverity: TBySeverity<TCount>; unhandled: number; openHigh: TListedFinding[] };
  vulnerabilities?: {
    added: TCount;
    bySeverity: TBySeverity<TCount>;
    open: TBySeverity<number>;
    openHigh: TListedFinding[];
  };
  baselineCheck?: { added: TCount; bySeverity: TBySeverity<TCount>; unhandled: number };
  attack?: { events: TCount; blocked: TCount; topTypes: { type: string; count: number }[] };
  /** Open items by severity across the selected items (vulnerabilities, alerts, baseline risks). */
  openBySeverity: TBySeverity<number>;
  /** Set when the report is scoped to an asset group and/or a minimum severity. */
  scope?: { assetGroupId: string | null; assetGroupName?: string | null; minSeverity: Severity | null };
  /** A consolidated report: one section per managed member; the fields above are their totals. */
  members?: TMemberSection[];
}

/** One managed member's part of a consolidated report. */
export interface TMemberSection {
  accountId: string;
  name: string;
  /** The member's security score (the same number as the multi-account overview). */
  score: number;
  stats: TReportStats;
}

/** True when nothing happened in the period: the report says so plainly, so a missing mail means a failure. */
export function isQuietPeriod(stats: TReportStats): boolean {
  const counts: TCount[] = [
    stats.issueResolved?.vulnerabilitiesFixed,
    stats.issueResolved?.alertsHandled,
    stats.assets?.added,
    stats.alerts?.added,
    stats.vulnerabilities?.added,
    stats.baselineCheck?.added,
    stats.attack?.events,
  ].filter((c): c is TCount => c !== undefined);
  return counts.every((c) => c.current === 0);
}

/** "+3", "−2", "±0" against the previous period. */
export function formatDelta(c: TCount): string {
  const d = c.current - c.previous;
  return d > 0 ? `+${d}` : d < 0 ? `−${-d}` : '±0';
}
