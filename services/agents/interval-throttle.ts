/**
 * Lets one action per key through per `intervalMs`. Keys whose last pass is older than the interval are the same as
 * keys never seen, so past `maxKeys` those are dropped: the map holds only the keys active within one interval, in a
 * process that sees keys (assets) come and go for months.
 */
export class IntervalThrottle {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly maxKeys = 1_000,
  ) {}

  /** True (and recorded) when `key` has not passed within the interval. */
  pass(key: string, now = Date.now()): boolean {
    const at = this.last.get(key);
    if (at !== undefined && now - at < this.intervalMs) return false;
    if (at === undefined && this.last.size >= this.maxKeys) {
      for (const [k, t] of this.last) if (now - t >= this.intervalMs) this.last.delete(k);
    }
    this.last.set(key, now);
    return true;
  }

  /** Keys held (a bound the tests check). */
  get size(): number {
    return this.last.size;
  }
}
