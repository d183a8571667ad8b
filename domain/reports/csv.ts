import { SEVERITIES } from '../findings.js';
import type { TReportItem } from './rules.js';
import type { TBySeverity, TCount, TListedFinding, TReportStats } from './stats.js';

/** Columns of every item's CSV: counts and listed rows in one table, told apart by `kind`. */
export const CSV_COLUMNS = [
  'member',
  'kind',
  'metric',
  'severity',
  'this_period',
  'previous_period',
  'open',
  'title',
  'asset',
  'at',
] as const;

type TRow = Partial<Record<(typeof CSV_COLUMNS)[number], string | number>>;

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break; a text starting with = + - @ or a
 * tab gets a leading apostrophe so a spreadsheet shows it instead of running it as a formula (OWASP CSV injection).
 */
export function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const count = (metric: string, c: TCount, extra: TRow = {}): TRow => ({
  kind: 'count',
  metric,
  this_period: c.current,
  previous_period: c.previous,
  ...extra,
});
const bySeverity = (metric: string, b: TBySeverity<TCount>, open?: TBySeverity<number>): TRow[] =>
  SEVERITIES.map((s) => count(metric, b[s], { severity: s, ...(open ? { open: open[s] } : {}) }));
const listed = (metric: string, rows: TListedFinding[]): TRow[] =>
  rows.map((r) => ({
    kind: 'finding',
    metric,
    severity: r.severity,
    title: r.title,
    asset: r.asset,
    at: r.at,
  }));

/** The rows of one item of one account's statistics. */
function itemRows(stats: TReportStats, item: TReportItem): TRow[] {
  switch (item) {
    case 'issueResolved': {
      const r = stats.issueResolved;
      if (!r) return [];
      return [
        count('vulnerabilities_fixed', r.vulnerabilitiesFixed),
        count('alerts_handled', r.alertsHandled),
        ...listed('fixed', r.fixed),
      ];
    }
    case 'assets': {
      const a = stats.assets;
      if (!a) return [];
      return [
        { kind: 'count', metric: 'total', this_period: a.total },
        count('added', a.added),
        { kind: 'count', metric: 'agent_online', this_period: a.agentOnline },
        { kind: 'count', metric: 'agent_offline', this_period: a.agentOffline },
        { kind: 'count', metric: 'no_agent', this_period: a.noAgent },
        ...a.topAffected.flatMap((t): TRow[] => [
          { kind: 'asset', metric: 'open_critical', asset: t.name, title: t.hostname, open: t.critical },
          { kind: 'asset', metric: 'open_high', asset: t.name, title: t.hostname, open: t.high },
          { kind: 'asset', metric: 'open_total', asset: t.name, title: t.hostname, open: t.open },
        ]),
      ];
    }
    case 'alerts': {
      const a = stats.alerts;
      if (!a) return [];
      return [
        count('added', a.added, { open: a.unhandled }),
        ...bySeverity('added', a.bySeverity),
        ...listed('open_high', a.openHigh),
      ];
    }
    case 'vulnerabilities': {
      const v = stats.vulnerabilities;
      if (!v) return [];
      return [
        count('added', v.added),
        ...bySeverity('added', v.bySeverity, v.open),
        ...listed('open_high', v.openHigh),
      ];
    }
    case 'baselineCheck': {
      const b = stats.baselineCheck;
      if (!b) return [];
      return [count('added', b.added, { open: b.unhandled }), ...bySeverity('added', b.bySeverity)];
    }
    case 'attack': {
      const a = stats.attack;
      if (!a) return [];
      return [
        count('events', a.events),
        count('blocked', a.blocked),
        ...a.topTypes.map((t): TRow => ({ kind: 'attack_type', metric: t.type, this_period: t.count })),
      ];
    }
  }
}

/**
 * One report item as CSV, from the statistics the mail was rendered from (so the file and the mail agree). A
 * consolidated report lists the totals (member empty) and then each member's rows under its name.
 */
export function reportItemCsv(stats: TReportStats, item: TReportItem): string {
  const rows: TRow[] = itemRows(stats, item);
  for (const m of stats.members ?? [])
    rows.push(...itemRows(m.stats, item).map((r) => ({ ...r, member: m.name })));
  const lines = [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => csvCell(r[c])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
