import { SEVERITIES, type Severity } from '../findings.js';
import type { TBySeverity, TCount, TListedFinding, TMemberSection, TReportStats } from './stats.js';

const add = (a: TCount, b: TCount): TCount => ({
  current: a.current + b.current,
  previous: a.previous + b.previous,
});
const zero = (): TCount => ({ current: 0, previous: 0 });
const rank = (s: Severity) => SEVERITIES.indexOf(s);

function bySeverity<T>(make: () => T): TBySeverity<T> {
  return { critical: make(), high: make(), medium: make(), low: make() };
}

/** The worst `limit` listed rows of several members, worst severity first, then newest. */
function worst(rows: TListedFinding[], limit: number): TListedFinding[] {
  return [...rows]
    .sort((x, y) => rank(x.severity) - rank(y.severity) || y.at.localeCompare(x.at))
    .slice(0, limit);
}

/**
 * The totals of a consolidated report: counts summed over the members, listed rows the worst of all members (each
 * prefixed with its member's name so the reader knows whose it is). The members keep their own sections.
 */
export function consolidateStats(
  base: Pick<TReportStats, 'period' | 'items' | 'scope'>,
  members: TMemberSection[],
  listedRows: number,
): TReportStats {
  const out: TReportStats = {
    ...base,
    openBySeverity: bySeverity(() => 0),
    members,
  };
  const tag = (m: TMemberSection, rows: TListedFinding[]) =>
    rows.map((r) => ({ ...r, asset: `${m.name} / ${r.asset}` }));
  const want = new Set(base.items);
  const all = members.map((m) => ({ m, s: m.stats }));
  for (const { s } of all) for (const sev of SEVERITIES) out.openBySeverity[sev] += s.openBySeverity[sev];
  if (want.has('issueResolved')) {
    out.issueResolved = {
      vulnerabilitiesFixed: all.reduce(
        (a, { s }) => add(a, s.issueResolved?.vulnerabilitiesFixed ?? zero()),
        zero(),
      ),
      alertsHandled: all.reduce((a, { s }) => add(a, s.issueResolved?.alertsHandled ?? zero()), zero()),
      fixed: worst(
        all.flatMap(({ m, s }) => tag(m, s.issueResolved?.fixed ?? [])),
        listedRows,
      ),
    };
  }
  if (want.has('assets')) {
    out.assets = {
      total: all.reduce((a, { s }) => a + (s.assets?.total ?? 0), 0),
      added: all.reduce((a, { s }) => add(a, s.assets?.added ?? zero()), zero()),
      agentOnline: all.reduce((a, { s }) => a + (s.assets?.agentOnline ?? 0), 0),
      agentOffline: all.reduce((a, { s }) => a + (s.assets?.agentOffline ?? 0), 0),
      noAgent: all.reduce((a, { s }) => a + (s.assets?.noAgent ?? 0), 0),
      topAffected: all
        .flatMap(({ m, s }) =>
          (s.assets?.topAffected ?? []).map((t) => ({ ...t, name: `${m.name} / ${t.name}` })),
        )
        .sort((x, y) => y.critical - x.critical || y.high - x.high || y.open - x.open)
        .slice(0, listedRows),
    };
  }
  const sevSum = (pick: (s: TReportStats) => TBySeverity<TCount> | undefined) => {
    const out2 = bySeverity(zero);
    for (const { s } of all) {
      const b = pick(s);
      if (b) for (const sev of SEVERITIES) out2[sev] = add(out2[sev], b[sev]);
    }
    return out2;
  };
  if (want.has('alerts')) {
    out.alerts = {
      added: all.reduce((a, { s }) => add(a, s.alerts?.added ?? zero()), zero()),
      bySeverity: sevSum((s) => s.alerts?.bySeverity),
      unhandled: all.reduce((a, { s }) => a + (s.alerts?.unhandled ?? 0), 0),
      openHigh: worst(
        all.flatMap(({ m, s }) => tag(m, s.alerts?.openHigh ?? [])),
        listedRows,
      ),
    };
  }
  if (want.has('vulnerabilities')) {
    const open = bySeverity(() => 0);
    for (const { s } of all) for (const sev of SEVERITIES) open[sev] += s.vulnerabilities?.open[sev] ?? 0;
    out.vulnerabilities = {
      added: all.reduce((a, { s }) => add(a, s.vulnerabilities?.added ?? zero()), zero()),
      bySeverity: sevSum((s) => s.vulnerabilities?.bySeverity),
      open,
      openHigh: worst(
        all.flatMap(({ m, s }) => tag(m, s.vulnerabilities?.openHigh ?? [])),
        listedRows,
      ),
    };
  }
  if (want.has('baselineCheck')) {
    out.baselineCheck = {
      added: all.reduce((a, { s }) => add(a, s.baselineCheck?.added ?? zero()), zero()),
      bySeverity: sevSum((s) => s.baselineCheck?.bySeverity),
      unhandled: all.reduce((a, { s }) => a + (s.baselineCheck?.unhandled ?? 0), 0),
    };
  }
  if (want.has('attack')) {
    const types = new Map<string, number>();
    for (const { s } of all)
      for (const t of s.attack?.topTypes ?? []) types.set(t.type, (types.get(t.type) ?? 0) + t.count);
    out.attack = {
      events: all.reduce((a, { s }) => add(a, s.attack?.events ?? zero()), zero()),
      blocked: all.reduce((a, { s }) => add(a, s.attack?.blocked ?? zero()), zero()),
      topTypes: [...types]
        .map(([type, count]) => ({ type, count }))
        .sort((x, y) => y.count - x.count || x.type.localeCompare(y.type))
        .slice(0, 5),
    };
  }
  return out;
}
