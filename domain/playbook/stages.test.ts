import { describe, expect, it } from 'vitest';
import { batchPlan, concurrencyLimit, MAX_ASSETS_PER_BATCH, stageSizes } from './stages.js';

describe('stages and batches', () => {
  it('no stages: one stage of all assets', () => {
    expect(stageSizes({ stages: [], assetCount: 7 })).toEqual([7]);
    expect(stageSizes({ stages: [], assetCount: 0 })).toEqual([]);
  });
  it('canary [1, 5, "20%"] repeats the last size', () => {
    expect(stageSizes({ stages: [1, 5, '20%'], assetCount: 50 })).toEqual([1, 5, 10, 10, 10, 10, 4]);
    expect(stageSizes({ stages: [1, 5, '20%'], assetCount: 3 })).toEqual([1, 2]);
    expect(stageSizes({ stages: ['1%'], assetCount: 10 })).toEqual(Array(10).fill(1));
  });
  it('cuts stages into batches no larger than the batch size', () => {
    const plan = batchPlan({ stages: [1, '50%'], assetCount: 1001 });
    expect(plan.every((b) => b.limit <= MAX_ASSETS_PER_BATCH)).toBe(true);
    expect(plan.reduce((a, b) => a + b.limit, 0)).toBe(1001);
    expect(plan[0]).toEqual({ offset: 0, limit: 1, stage: 1 });
    expect(plan[1]).toEqual({ offset: 1, limit: 250, stage: 2 });
    plan.forEach(
      (b, i) => i > 0 && expect(b.offset).toBe((plan[i - 1]?.offset ?? 0) + (plan[i - 1]?.limit ?? 0)),
    );
    expect(batchPlan({ stages: [], assetCount: 10_000 })).toHaveLength(40);
  });
  it('concurrency is a number or a percentage, never below one', () => {
    expect(concurrencyLimit({ maxConcurrency: 10, assetCount: 3 })).toBe(10);
    expect(concurrencyLimit({ maxConcurrency: '10%', assetCount: 5 })).toBe(1);
    expect(concurrencyLimit({ maxConcurrency: '50%', assetCount: 40 })).toBe(20);
  });
});
