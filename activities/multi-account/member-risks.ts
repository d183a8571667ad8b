import { and, count, eq, inArray } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Executor } from '../../db/client.js';
import { accounts } from '../../db/schema/accounts.js';
import { alerts, baselineRisks, vulnerabilities } from '../../db/schema/findings.js';
import { managedMembers } from '../../db/schema/multi-account.js';
import { VULNERABILITY_TYPES, type Severity, type VulnerabilityType } from '../../domain/findings.js';
import {
  securityScore,
  ZERO_COUNTS,
  type SeverityCounts,
} from '../../domain/multi-account/security-score.js';

/** Vulnerabilities still present on the host count as open (a fix in progress has not removed them yet). */
export const OPEN_VULNERABILITY_STATUSES = ['open', 'fixing'] as const;

export interface MemberRiskSummary {
  accountId: string;
  unhandledAlerts: SeverityCounts;
  openVulnerabilities: SeverityCounts;
  baselineRisks: SeverityCounts;
  score: number;
}

type Counts = Record<Severity, number>;
const zero = (): Counts => ({ ...ZERO_COUNTS });

/** Scores and severity counts of a set of accounts, from three GROUP BY queries over the account indexes. */
export async function riskSummaries(db: Executor, accountIds: string[]): Promise<MemberRiskSummary[]> {
  if (accountIds.length === 0) return [];
  const inSet = (col: PgColumn) => inArray(col, accountIds);
  const [alertRows, vulnRows, baselineRows] = await Promise.all([
    db
      .select({ accountId: alerts.accountId, severity: alerts.severity, n: count() })
      .from(alerts)
      .where(and(inSet(alerts.accountId), eq(alerts.status, 'unhandled')))
      .groupBy(alerts.accountId, alerts.severity),
    db
      .select({ accountId: vulnerabilities.accountId, severity: vulnerabilities.severity, n: count() })
      .from(vulnerabilities)
      .where(
        and(
          inSet(vulnerabilities.accountId),
          inArray(vulnerabilities.status, [...OPEN_VULNERABILITY_STATUSES]),
        ),
      )
      .groupBy(vulnerabilities.accountId, vulnerabilities.severity),
    db
      .select({ accountId: baselineRisks.accountId, severity: baselineRisks.severity, n: count() })
      .from(baselineRisks)
      .where(and(inSet(baselineRisks.accountId), eq(baselineRisks.status, 'unhandled')))
      .groupBy(baselineRisks.accountId, baselineRisks.severity),
  ]);
  const byAccount = new Map<string, { alerts: Counts; vulns: Counts; baseline: Counts }>();
  const slot = (id: string) => {
    let s = byAccount.get(id);
    if (!s) byAccount.set(id, (s = { alerts: zero(), vulns: zero(), baseline: zero() }));
    return s;
  };
  for (const r of alertRows) slot(r.accountId).alerts[r.severity] += r.n;
  for (const r of vulnRows) slot(r.accountId).vulns[r.severity] += r.n;
  for (const r of baselineRows) slot(r.accountId).baseline[r.severity] += r.n;
  return accountIds.map((accountId) => {
    const s = byAccount.get(accountId) ?? { alerts: zero(), vulns: zero(), baseline: zero() };
    return {
      accountId,
      unhandledAlerts: s.alerts,
      openVulnerabilities: s.vulns,
      baselineRisks: s.baseline,
      score: securityScore({ alerts: s.alerts, vulnerabilities: s.vulns, baselineRisks: s.baseline }),
    };
  });
}

export interface MemberRisks extends MemberRiskSummary {
  vulnerabilitiesByType: Record<VulnerabilityType, SeverityCounts>;
}

/** One member's risk view: the summary plus open vulnerabilities by type and severity. */
export async function memberRisks(db: Executor, memberId: string): Promise<MemberRisks> {
  const [[summary], typeRows] = await Promise.all([
    riskSummaries(db, [memberId]),
    db
      .select({ type: vulnerabilities.type, severity: vulnerabilities.severity, n: count() })
      .from(vulnerabilities)
      .where(
        and(
          eq(vulnerabilities.accountId, memberId),
          inArray(vulnerabilities.status, [...OPEN_VULNERABILITY_STATUSES]),
        ),
      )
      .groupBy(vulnerabilities.type, vulnerabilities.severity),
  ]);
  if (!summary) throw new Error('risk summary missing for the member');
  const byType = Object.fromEntries(VULNERABILITY_TYPES.map((t) => [t, zero()])) as Record<
    VulnerabilityType,
    Counts
  >;
  for (const r of typeRows) byType[r.type][r.severity] += r.n;
  return { ...summary, vulnerabilitiesByType: byType };
}

export interface OverviewRow extends MemberRiskSummary {
  name: string;
}

/** Every managed member of a directory with its score, riskiest (lowest score) first, then by account id. */
export async function directoryOverview(db: Executor, directoryId: string): Promise<OverviewRow[]> {
  const members = await db
    .select({ id: managedMembers.accountId, name: accounts.name })
    .from(managedMembers)
    .innerJoin(accounts, eq(accounts.id, managedMembers.accountId))
    .where(eq(managedMembers.directoryId, directoryId));
  const summaries = await riskSummaries(
    db,
    members.map((m) => m.id),
  );
  const rows = summaries.map((s, i) => ({ ...s, name: members[i]?.name ?? '' }));
  return rows.sort(
    (a, b) => a.score - b.score || (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0),
  );
}
