import { describe, expect, it } from 'vitest';
import {
  categoryDeduction,
  scoreBreakdown,
  securityScore,
  weightedCount,
  ZERO_COUNTS,
} from './security-score.js';

const none = { alerts: ZERO_COUNTS, vulnerabilities: ZERO_COUNTS, baselineRisks: ZERO_COUNTS };

describe('securityScore', () => {
  it('is 100 with nothing to handle', () => {
    expect(securityScore(none)).toBe(100);
  });

  it('weighs severities 10 / 5 / 2 / 0.5', () => {
    expect(weightedCount({ critical: 1, high: 2, medium: 3, low: 4 })).toBe(10 + 10 + 6 + 2);
  });

  it('takes half of a category once its weighted count reaches the half-life', () => {
    // 2 critical alerts = 20 weighted = the alerts half-life: 20 of 40 points.
    expect(categoryDeduction('alerts', { ...ZERO_COUNTS, critical: 2 })).toBeCloseTo(20, 10);
    expect(securityScore({ ...none, alerts: { ...ZERO_COUNTS, critical: 2 } })).toBe(80);
  });

  it('scores fixed data exactly', () => {
    // alerts: 1 critical + 1 high = 15 → 40·(1−2^(−15/20)) = 16.2151
    // vulnerabilities: 4 high + 10 medium + 20 low = 50 → 35·(1−2^(−50/100)) = 10.2513
    // baseline: 2 medium = 4 → 25·(1−2^(−4/40)) = 1.6748; 100 − 28.141 = 71.86 → 72
    const score = securityScore({
      alerts: { critical: 1, high: 1, medium: 0, low: 0 },
      vulnerabilities: { critical: 0, high: 4, medium: 10, low: 20 },
      baselineRisks: { critical: 0, high: 0, medium: 2, low: 0 },
    });
    expect(score).toBe(72);
  });

  it('falls monotonically and never below 0', () => {
    const huge = { critical: 1e6, high: 0, medium: 0, low: 0 };
    expect(securityScore({ alerts: huge, vulnerabilities: huge, baselineRisks: huge })).toBe(0);
    const one = securityScore({ ...none, vulnerabilities: { ...ZERO_COUNTS, low: 1 } });
    const two = securityScore({ ...none, vulnerabilities: { ...ZERO_COUNTS, low: 100 } });
    expect(one).toBeGreaterThanOrEqual(two);
    expect(two).toBeLessThan(100);
  });
});

describe('scoreBreakdown', () => {
  it('shares each category deduction among its findings by weight; the points add up to 100 − score', () => {
    const input = {
      alerts: { ...ZERO_COUNTS, critical: 1, high: 1 },
      vulnerabilities: { ...ZERO_COUNTS, high: 1, medium: 1 },
      baselineRisks: { ...ZERO_COUNTS, medium: 1 },
    };
    const b = scoreBreakdown(input);
    expect(b.score).toBe(securityScore(input));
    expect(Math.round(100 - b.pointsLost)).toBe(b.score);
    const alerts = b.categories.find((c) => c.category === 'alerts');
    // 15 weighted alert points cost 16.22: the critical alert 10/15 of it, the high one 5/15.
    expect(alerts?.points).toBeCloseTo(16.22, 2);
    expect(alerts?.bySeverity.critical.pointsEach).toBeCloseTo(10.81, 2);
    expect(alerts?.bySeverity.high.pointsEach).toBeCloseTo(5.41, 2);
    for (const c of b.categories) {
      const sum = Object.values(c.bySeverity).reduce((s, x) => s + x.points, 0);
      expect(sum).toBeCloseTo(c.points, 1);
    }
  });

  it('costs nothing without findings', () => {
    const b = scoreBreakdown(none);
    expect(b).toMatchObject({ score: 100, pointsLost: 0 });
    expect(b.categories.every((c) => c.points === 0 && c.bySeverity.critical.pointsEach === 0)).toBe(true);
  });
});
