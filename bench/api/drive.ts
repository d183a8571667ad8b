import { concurrentLoad, percentile } from '../progress.js';

/** One endpoint's (or its floor's) latency figures under concurrent load. */
export interface Figures {
  requests: number;
  /** Requests sent first at the same concurrency and not counted (JIT, plan caches, pool connections, buffers). */
  warmup: number;
  p50Ms: number;
  p99Ms: number;
  requestsPerSecond: number;
}

/** The warm-up before a measured run: a quarter of its requests, at least 32 (never more than the run). */
export const warmupFor = (count: number) => Math.min(count, Math.max(32, Math.ceil(count / 4)));

/**
 * Runs `run(i)` for i = 0 … count-1 from `concurrency` concurrent loops, after `warmupFor(count)` uncounted calls at
 * the same concurrency (a server measured warm, as it runs, and the floor the same way); p50/p99 of each counted call
 * and the rate.
 */
export async function drive(
  label: string,
  count: number,
  concurrency: number,
  run: (i: number) => Promise<void>,
): Promise<Figures> {
  const warmup = warmupFor(count);
  await concurrentLoad(`${label} warm-up`, warmup, concurrency, async (i) => {
    await run(i);
    return 0;
  });
  const { latencies, wallMs } = await concurrentLoad(label, count, concurrency, async (i) => {
    const t = performance.now();
    await run(i);
    return performance.now() - t;
  });
  latencies.sort((x, y) => x - y);
  return {
    requests: count,
    warmup,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    requestsPerSecond: Math.round(count / (wallMs / 1000)),
  };
}
