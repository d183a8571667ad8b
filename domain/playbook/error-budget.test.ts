import { describe, expect, it } from 'vitest';
import { errorBudget, errorBudgetExhausted } from './error-budget.js';
import { resolveAmount } from './amounts.js';
import { ZPolicyParamsSchema, DEFAULT_POLICY_PARAMS } from './policy.js';

describe('errorBudget', () => {
  it('N = 0 stops after the first failure', () => {
    const budget = errorBudget({ maxErrors: 0, assetCount: 10 });
    expect(errorBudgetExhausted({ failed: 0, budget })).toBe(false);
    expect(errorBudgetExhausted({ failed: 1, budget })).toBe(true);
  });
  it('N allows exactly N failures and stops at N + 1', () => {
    const budget = errorBudget({ maxErrors: 2, assetCount: 10 });
    expect(errorBudgetExhausted({ failed: 2, budget })).toBe(false);
    expect(errorBudgetExhausted({ failed: 3, budget })).toBe(true);
  });
  it('p% of the task’s assets is rounded down', () => {
    expect(errorBudget({ maxErrors: '10%', assetCount: 50 })).toBe(5);
    expect(errorBudget({ maxErrors: '10%', assetCount: 59 })).toBe(5);
    expect(errorBudget({ maxErrors: '10%', assetCount: 9 })).toBe(0);
    expect(errorBudget({ maxErrors: '100%', assetCount: 7 })).toBe(7);
  });
  it('resolves amounts', () => {
    expect(resolveAmount(3, 100)).toBe(3);
    expect(resolveAmount('33%', 10)).toBe(3);
  });
});

describe('policy parameters', () => {
  it('have the documented defaults', () => {
    expect(DEFAULT_POLICY_PARAMS).toMatchObject({
      maxConcurrency: 10,
      maxErrors: 0,
      stages: [],
      snapshot: { enabled: false, retentionDays: 7 },
      reboot: 'ifRequired',
      retriesPerFix: 1,
      windowEnd: 'continue',
      cutoffMinutes: 0,
      verifyAfterFix: true,
    });
  });
  it('accept numbers and percentages and refuse nonsense', () => {
    expect(
      ZPolicyParamsSchema.safeParse({ maxConcurrency: '25%', maxErrors: '5%', stages: [1, 5, '20%'] })
        .success,
    ).toBe(true);
    expect(ZPolicyParamsSchema.safeParse({ maxConcurrency: 0 }).success).toBe(false);
    expect(ZPolicyParamsSchema.safeParse({ maxConcurrency: '0%' }).success).toBe(false);
    expect(ZPolicyParamsSchema.safeParse({ maxErrors: '101%' }).success).toBe(false);
    expect(ZPolicyParamsSchema.safeParse({ maxErrors: '5.5%' }).success).toBe(false);
    expect(ZPolicyParamsSchema.safeParse({ reboot: 'always' }).success).toBe(false);
    expect(ZPolicyParamsSchema.safeParse({ unknown: 1 }).success).toBe(false);
  });
});
