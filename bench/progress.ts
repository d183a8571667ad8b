/** A one-line progress bar on stderr for long bench and CLI steps (a plain line every 5 % when stderr is not a TTY). */
export function progress(label: string, total: number): { tick(n?: number): void; done(): void } {
  let count = 0;
  let lastPrinted = -1;
  const tty = process.stderr.isTTY === true;
  const draw = () => {
    const pct = total === 0 ? 100 : Math.floor((count / total) * 100);
    if (!tty && pct === lastPrinted) return;
    if (!tty && pct % 5 !== 0 && count !== total) return;
    lastPrinted = pct;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count}/${total} (${pct}%)`;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
  };
  return {
    tick(n = 1) {
      count = Math.min(total, count + n);
      draw();
    },
    done() {
      count = total;
      draw();
      if (tty) process.stderr.write('\n');
    },
  };
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return 0;
  const idx = Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1);
  return Math.round((sortedMs[Math.max(0, idx)] ?? 0) * 100) / 100;
}

/** A figure rounded to two decimals for the JSON a bench prints. */
export const round = (n: number): number => Math.round(n * 100) / 100;

/**
 * Calls `one(i)` for i = 0 … requests-1 from `concurrency` concurrent loops, ticking a progress bar labelled `label`;
 * `one` answers the latency it measured (ms). Returns the latencies in call-completion order and the wall time.
 */
export async function concurrentLoad(
  label: string,
  requests: number,
  concurrency: number,
  one: (i: number) => Promise<number>,
): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  const bar = progress(label, requests);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const i = next++;
        latencies.push(await one(i));
        bar.tick();
      }
    }),
  );
  bar.done();
  return { latencies, wallMs: performance.now() - started };
}
