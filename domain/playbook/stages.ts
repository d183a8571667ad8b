import { resolveAmount, type TAmount } from './amounts.js';

/**
 * The largest number of assets one batch child workflow handles. Each asset costs the batch's history at most
 * ~9 events (child initiated, started, completed and their workflow tasks), so 250 keeps a batch well under the
 * server's 4,096-event continue-as-new suggestion (DESIGN §3.5).
 */
export const MAX_ASSETS_PER_BATCH = 250;

/** Concurrency: a number, or a percentage of the task's assets rounded down; never below one asset. */
export function concurrencyLimit(opts: { maxConcurrency: TAmount; assetCount: number }): number {
  return Math.max(1, resolveAmount(opts.maxConcurrency, opts.assetCount));
}

/**
 * Canary stages like Ansible's `serial: [1, 5, "20%"]`: stage sizes in order, percentages of all assets (rounded
 * down, at least one), the last size repeating until every asset has a stage. No stages → one stage of all assets.
 */
export function stageSizes(opts: { stages: readonly TAmount[]; assetCount: number }): number[] {
  const { stages, assetCount } = opts;
  if (assetCount <= 0) return [];
  if (stages.length === 0) return [assetCount];
  const sizes: number[] = [];
  let left = assetCount;
  let i = 0;
  while (left > 0) {
    const spec = stages[Math.min(i, stages.length - 1)] ?? assetCount;
    const size = Math.min(left, Math.max(1, resolveAmount(spec, assetCount)));
    sizes.push(size);
    left -= size;
    i++;
  }
  return sizes;
}

export interface TBatch {
  /** Position of the first asset of the batch in the execution's ordered asset list. */
  offset: number;
  limit: number;
  /** 1-based canary stage the batch belongs to. */
  stage: number;
}

/** Stages cut into batches of at most `batchSize` assets; batches run one after another. */
export function batchPlan(opts: {
  stages: readonly TAmount[];
  assetCount: number;
  batchSize?: number;
}): TBatch[] {
  const batchSize = opts.batchSize ?? MAX_ASSETS_PER_BATCH;
  const out: TBatch[] = [];
  let offset = 0;
  stageSizes(opts).forEach((size, s) => {
    for (let done = 0; done < size; done += batchSize) {
      const limit = Math.min(batchSize, size - done);
      out.push({ offset, limit, stage: s + 1 });
      offset += limit;
    }
  });
  return out;
}
