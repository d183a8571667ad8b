import { and, eq, getTableName, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { reusedQuery } from '../../platform/reused-queries.js';
import { accounts } from '../../db/schema/accounts.js';
import { alerts, baselineRisks, vulnerabilities } from '../../db/schema/findings.js';
import { managedMembers, riskCounts } from '../../db/schema/multi-account.js';
import {
  SEVERITIES,
  VULNERABILITY_TYPES,
  type Severity,
  type VulnerabilityType,
} from '../../domain/findings.js';
import {
  SCORE_CATEGORIES,
  securityScore,
  ZERO_COUNTS,
  type ScoreCategory,
  type SeverityCounts,
} from '../../domain/multi-account/security-score.js';

/** Vulnerabilities still present on the host count as open (a fix in progress has not removed them yet). */
export const OPEN_VULNERABILITY_STATUSES = ['open', 'fixing'] as const;

/**
 * What each score category counts: the findings table (the `kind` of its `risk_counts` rows) and the statuses
 * still to be handled. The one place that decides which findings weigh on a member's score.
 */
const COUNTED: Readonly<Record<ScoreCategory, { kind: string; statuses: readonly string[] }>> = {
  alerts: { kind: getTableName(alerts), statuses: ['unhandled'] },
  vulnerabilities: { kind: getTableName(vulnerabilities), statuses: OPEN_VULNERABILITY_STATUSES },
  baselineRisks: { kind: getTableName(baselineRisks), statuses: ['unhandled'] },
};

const counted = (c: ScoreCategory) =>
  and(eq(riskCounts.kind, COUNTED[c].kind), inArray(riskCounts.status, [...COUNTED[c].statuses]));

const countedRows = or(...SCORE_CATEGORIES.map(counted));

const cellKey = (c: ScoreCategory, s: Severity) => `${c}:${s}`;

/**
 * One column per (category, severity), summed over the account's `risk_counts` rows (kept by triggers, see
 * migration 0012): a summary is one row per account however many findings it has. Only for queries whose rows
 * are already restricted to `countedRows`.
 */
const summaryColumns = Object.fromEntries(
  SCORE_CATEGORIES.flatMap((c) =>
    SEVERITIES.map((s) => [
      cellKey(c, s),
      sql<number>`coalesce(sum(${riskCounts.n}) filter (where ${riskCounts.kind} = ${COUNTED[c].kind} and ${riskCounts.severity} = ${s}), 0)::int`,
    ]),
  ),
) as Record<string, SQL<number>>;

export interface MemberRiskSummary {
  accountId: string;
  unhandledAlerts: SeverityCounts;
  openVulnerabilities: SeverityCounts;
  baselineRisks: SeverityCounts;
  score: number;
}

type Counts = Record<Severity, number>;
const zero = (): Counts => ({ ...ZERO_COUNTS });

function summary(accountId: string, row: Record<string, unknown> | undefined): MemberRiskSummary {
  const counts = (c: ScoreCategory): Counts => {
    const out = zero();
    for (const s of SEVERITIES) out[s] = Number(row?.[cellKey(c, s)] ?? 0);
    return out;
  };
  const input = {
    alerts: counts('alerts'),
    vulnerabilities: counts('vulnerabilities'),
    baselineRisks: counts('baselineRisks'),
  };
  return {
    accountId,
    unhandledAlerts: input.alerts,
    openVulnerabilities: input.vulnerabilities,
    baselineRisks: input.baselineRisks,
    score: securityScore(input),
  };
}

/** Scores and severity counts of a set of accounts. */
export async function riskSummaries(db: Executor, accountIds: string[]): Promise<MemberRiskSummary[]> {
  if (accountIds.length === 0) return [];
  // Built once (`reusedQuery`); one statement text for any number of accounts (`= any($1)`).
  const query = reusedQuery(db, 'risk_summaries', () =>
    db
      .select({ accountId: riskCounts.accountId, ...summaryColumns })
      .from(riskCounts)
      .where(and(sql`${riskCounts.accountId} = any(${sql.placeholder('accountIds')}::uuid[])`, countedRows))
      .groupBy(riskCounts.accountId)
      .prepare('risk_summaries'),
  );
  const rows = await query.execute({ accountIds });
  const byAccount = new Map(rows.map((r) => [r.accountId, r]));
  return accountIds.map((id) => summary(id, byAccount.get(id)));
}

export interface MemberRisks extends MemberRiskSummary {
  vulnerabilitiesByType: Record<VulnerabilityType, SeverityCounts>;
}

/** The score category whose `risk_counts` rows are of this kind (the findings table). */
const categoryOfKind = new Map(SCORE_CATEGORIES.map((c) => [COUNTED[c].kind, c]));

/**
 * One member's risk view: the summary plus open vulnerabilities by type and severity, from one statement (the
 * member's counted rows by kind, type and severity; the summary sums the types) instead of a summary and a
 * by-type statement.
 */
export async function memberRisks(db: Executor, memberId: string): Promise<MemberRisks> {
  const rows = await reusedQuery(db, 'member_risk_counts', () =>
    db
      .select({
        kind: riskCounts.kind,
        type: riskCounts.type,
        severity: riskCounts.severity,
        n: sql<number>`sum(${riskCounts.n})::int`,
      })
      .from(riskCounts)
      .where(and(eq(riskCounts.accountId, sql.placeholder('memberId')), countedRows))
      .groupBy(riskCounts.kind, riskCounts.type, riskCounts.severity)
      .prepare('member_risk_counts'),
  ).execute({ memberId });
  const cells: Record<string, number> = {};
  const byType = new Map(VULNERABILITY_TYPES.map((t) => [t as string, zero()]));
  for (const r of rows) {
    const category = categoryOfKind.get(r.kind);
    if (!category) continue;
    const key = cellKey(category, r.severity);
    cells[key] = (cells[key] ?? 0) + r.n;
    if (category !== 'vulnerabilities') continue;
    const counts = byType.get(r.type);
    if (counts) counts[r.severity] += r.n;
  }
  return {
    ...summary(memberId, cells),
    vulnerabilitiesByType: Object.fromEntries(byType) as Record<VulnerabilityType, Counts>,
  };
}

export interface OverviewRow extends MemberRiskSummary {
  name: string;
}

/**
 * Every managed member of a directory with its score, riskiest (lowest score) first, then by account id: one
 * query returning one row per member.
 */
export async function directoryOverview(db: Executor, directoryId: string): Promise<OverviewRow[]> {
  const query = reusedQuery(db, 'directory_overview', () =>
    db
      .select({ accountId: managedMembers.accountId, name: accounts.name, ...summaryColumns })
      .from(managedMembers)
      .innerJoin(accounts, eq(accounts.id, managedMembers.accountId))
      .leftJoin(riskCounts, and(eq(riskCounts.accountId, managedMembers.accountId), countedRows))
      .where(eq(managedMembers.directoryId, sql.placeholder('directoryId')))
      .groupBy(managedMembers.accountId, accounts.name)
      .prepare('directory_overview'),
  );
  const rows = await query.execute({ directoryId });
  const out = rows.map((r) => ({ ...summary(r.accountId, r), name: r.name }));
  return out.sort(
    (a, b) => a.score - b.score || (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0),
  );
}
