import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Executor } from '../../db/client.js';
import { alerts, baselineRisks, vulnerabilities } from '../../db/schema/findings.js';
import { SEVERITIES, type Severity } from '../../domain/findings.js';
import {
  scoreBreakdown,
  type CategoryCost,
  type ScoreCategory,
} from '../../domain/multi-account/security-score.js';
import { memberRisks, OPEN_VULNERABILITY_STATUSES } from './risk-views.js';

/** Findings named in a score explanation: the costliest, at most this many. */
export const COSTLIEST_FINDINGS = 20;

export interface CostlyFinding {
  category: ScoreCategory;
  id: string;
  assetId: string | null;
  title: string;
  severity: Severity;
  points: number;
}

export interface ScoreExplained {
  accountId: string;
  score: number;
  pointsLost: number;
  categories: CategoryCost[];
  costliestFindings: CostlyFinding[];
}

/** Critical first: within a category the costliest findings are those of the highest severity. */
const severityRank = (column: PgColumn): SQL =>
  sql`case ${column} ${sql.join(
    SEVERITIES.map((s, i) => sql`when ${s} then ${i}`),
    sql` `,
  )} end`;

/**
 * A member's score explained: the points each category and severity cost, and which findings cost the most (with
 * the points each costs). Reads the same counts as the risk view, so the score is the one the overview shows.
 */
export async function memberScoreExplained(db: Executor, memberId: string): Promise<ScoreExplained> {
  const risks = await memberRisks(db, memberId);
  const breakdown = scoreBreakdown({
    alerts: risks.unhandledAlerts,
    vulnerabilities: risks.openVulnerabilities,
    baselineRisks: risks.baselineRisks,
  });
  const [a, v, b] = await Promise.all([
    db
      .select({ id: alerts.id, assetId: alerts.assetId, title: alerts.name, severity: alerts.severity })
      .from(alerts)
      .where(and(eq(alerts.accountId, memberId), eq(alerts.status, 'unhandled')))
      .orderBy(severityRank(alerts.severity), alerts.id)
      .limit(COSTLIEST_FINDINGS),
    db
      .select({
        id: vulnerabilities.id,
        assetId: vulnerabilities.assetId,
        title: vulnerabilities.title,
        severity: vulnerabilities.severity,
      })
      .from(vulnerabilities)
      .where(
        and(
          eq(vulnerabilities.accountId, memberId),
          inArray(vulnerabilities.status, [...OPEN_VULNERABILITY_STATUSES]),
        ),
      )
      .orderBy(severityRank(vulnerabilities.severity), vulnerabilities.id)
      .limit(COSTLIEST_FINDINGS),
    db
      .select({
        id: baselineRisks.id,
        assetId: baselineRisks.assetId,
        title: baselineRisks.checkName,
        severity: baselineRisks.severity,
      })
      .from(baselineRisks)
      .where(and(eq(baselineRisks.accountId, memberId), eq(baselineRisks.status, 'unhandled')))
      .orderBy(severityRank(baselineRisks.severity), baselineRisks.id)
      .limit(COSTLIEST_FINDINGS),
  ]);
  const cost = (category: ScoreCategory, s: Severity) =>
    breakdown.categories.find((c) => c.category === category)?.bySeverity[s].pointsEach ?? 0;
  const tagged = (category: ScoreCategory, rows: Omit<CostlyFinding, 'category' | 'points'>[]) =>
    rows.map((r) => ({ category, ...r, points: cost(category, r.severity) }));
  const costliestFindings = [
    ...tagged('alerts', a),
    ...tagged('vulnerabilities', v),
    ...tagged('baselineRisks', b),
  ]
    .sort((x, y) => y.points - x.points || (x.id < y.id ? -1 : 1))
    .slice(0, COSTLIEST_FINDINGS);
  return { accountId: memberId, ...breakdown, costliestFindings };
}
