import type { Severity } from '../findings.js';

/**
 * A member's security score, 0–100 (100 = nothing to handle). Written once here; the API, the overview and the
 * docs all use it.
 *
 *   weighted(c) = Σ over severities of count(c, severity) × SEVERITY_WEIGHT[severity]
 *   deduction(c) = CATEGORY[c].maxDeduction × (1 − e^(−weighted(c) / CATEGORY[c].halfLife × ln 2))
 *   score        = round(100 − Σ deduction(c))
 *
 * for the three categories c: unhandled alerts, open vulnerabilities (open or being fixed) and unhandled baseline
 * risks. Each category can take at most its `maxDeduction` points (alerts 40, vulnerabilities 35, baseline 25, so
 * the sum is 100), and it has taken half of them once its weighted count reaches `halfLife`. The curve keeps
 * members with many findings apart (no flat floor at 0) while one critical alert already costs several points.
 */
export const SEVERITY_WEIGHT: Readonly<Record<Severity, number>> = {
  critical: 10,
  high: 5,
  medium: 2,
  low: 0.5,
};

export const SCORE_CATEGORIES = ['alerts', 'vulnerabilities', 'baselineRisks'] as const;
export type ScoreCategory = (typeof SCORE_CATEGORIES)[number];

export const SCORE_CATEGORY: Readonly<Record<ScoreCategory, { maxDeduction: number; halfLife: number }>> = {
  alerts: { maxDeduction: 40, halfLife: 20 },
  vulnerabilities: { maxDeduction: 35, halfLife: 100 },
  baselineRisks: { maxDeduction: 25, halfLife: 40 },
};

export type SeverityCounts = Readonly<Record<Severity, number>>;

export const ZERO_COUNTS: SeverityCounts = { critical: 0, high: 0, medium: 0, low: 0 };

export type ScoreInput = Readonly<Record<ScoreCategory, SeverityCounts>>;

export function weightedCount(counts: SeverityCounts): number {
  return (Object.keys(SEVERITY_WEIGHT) as Severity[]).reduce(
    (sum, s) => sum + counts[s] * SEVERITY_WEIGHT[s],
    0,
  );
}

export function categoryDeduction(category: ScoreCategory, counts: SeverityCounts): number {
  const { maxDeduction, halfLife } = SCORE_CATEGORY[category];
  return maxDeduction * (1 - Math.exp((-weightedCount(counts) / halfLife) * Math.LN2));
}

export function securityScore(input: ScoreInput): number {
  const deducted = SCORE_CATEGORIES.reduce((sum, c) => sum + categoryDeduction(c, input[c]), 0);
  return Math.min(100, Math.max(0, Math.round(100 - deducted)));
}

export function severityTotal(counts: SeverityCounts): number {
  return counts.critical + counts.high + counts.medium + counts.low;
}

export interface SeverityCost {
  count: number;
  weight: number;
  /** Points this severity's findings cost together, and each of them. */
  points: number;
  pointsEach: number;
}

export interface CategoryCost {
  category: ScoreCategory;
  maxDeduction: number;
  weightedCount: number;
  /** Points the category costs (its deduction). */
  points: number;
  bySeverity: Record<Severity, SeverityCost>;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The score explained: what each category and each severity within it cost. A category's deduction is shared among
 * its findings by weight (a critical finding costs 20 times a low one of the same category), so the points of the
 * findings add up to the category's deduction, and the deductions to `100 − score` before rounding.
 */
export function scoreBreakdown(input: ScoreInput): {
  score: number;
  pointsLost: number;
  categories: CategoryCost[];
} {
  const categories = SCORE_CATEGORIES.map((category): CategoryCost => {
    const counts = input[category];
    const weighted = weightedCount(counts);
    const deduction = categoryDeduction(category, counts);
    const each = (s: Severity) => (weighted === 0 ? 0 : (deduction * SEVERITY_WEIGHT[s]) / weighted);
    const bySeverity = Object.fromEntries(
      (Object.keys(SEVERITY_WEIGHT) as Severity[]).map((s) => [
        s,
        {
          count: counts[s],
          weight: SEVERITY_WEIGHT[s],
          points: round2(each(s) * counts[s]),
          pointsEach: round2(each(s)),
        },
      ]),
    ) as Record<Severity, SeverityCost>;
    return {
      category,
      maxDeduction: SCORE_CATEGORY[category].maxDeduction,
      weightedCount: weighted,
      points: round2(deduction),
      bySeverity,
    };
  });
  return {
    score: securityScore(input),
    pointsLost: round2(categories.reduce((sum, c) => sum + c.points, 0)),
    categories,
  };
}
