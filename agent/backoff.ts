/** Exponential backoff with jitter for reconnecting: base·2ⁿ capped at max, then scaled by a random 50–100 %. */
export function backoffDelay(
  attempt: number,
  opts: { baseMs?: number; maxMs?: number; random?: () => number } = {},
) {
  const base = opts.baseMs ?? 500;
  const max = opts.maxMs ?? 30_000;
  const capped = Math.min(max, base * 2 ** Math.min(attempt, 20));
  return Math.round(capped * (0.5 + (opts.random ?? Math.random)() * 0.5));
}

/** Resolves after `ms` or as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
