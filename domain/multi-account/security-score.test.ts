import { describe, expect, it } from 'vitest';
import { categoryDeduction, securityScore, weightedCount, ZERO_COUNTS } from './security-score.js';

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
