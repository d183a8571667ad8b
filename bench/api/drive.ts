import { concurrentLoad, percentile } from '../progress.js';

/** One endpoint's (or its floor's) latency figures under concurrent load. */
export interface Figures {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  requestsPerSecond: number;
}

/** Runs `run(i)` for i = 0 … count-1 from `concurrency` concurrent loops; p50/p99 of each call and the rate. */
export async function drive(
  label: string,
  count: number,
  concurrency: number,
  run: (i: number) => Promise<void>,
): Promise<Figures> {
  const { latencies, wallMs } = await concurrentLoad(label, count, concurrency, async (i) => {
    const t = performance.now();
    await run(i);
    return performance.now() - t;
  });
  latencies.sort((x, y) => x - y);
  return {
    requests: count,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    requestsPerSecond: Math.round(count / (wallMs / 1000)),
  };
}
