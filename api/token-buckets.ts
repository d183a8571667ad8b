/**
 * Token buckets by key: `capacity` tokens, refilled at `capacity` per `periodMs`. Kept in process memory: each API
 * replica limits on its own, which bounds a runaway caller without a shared store.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();
  private readonly refillPerMs: number;

  constructor(
    readonly capacity: number,
    readonly periodMs: number,
    private readonly now: () => number = Date.now,
    /** Past this many keys, buckets idle for a whole period (full again) are forgotten. */
    private readonly maxKeys = 50_000,
  ) {
    this.refillPerMs = capacity / periodMs;
  }

  /** Takes one token for `key`: the tokens left, or how many seconds until one is back. */
  take(key: string): TokenAnswer {
    const answer = this.peek(key);
    if (answer.ok) {
      const bucket = this.buckets.get(key);
      if (bucket) bucket.tokens -= 1;
      return { ok: true, remaining: answer.remaining - 1 };
    }
    return answer;
  }

  /** Whether `key` has a token, without taking it: the tokens there, or how many seconds until one is back. */
  peek(key: string): TokenAnswer {
    const t = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, updatedAt: t };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (t - bucket.updatedAt) * this.refillPerMs);
    bucket.updatedAt = t;
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxKeys) {
      for (const [k, b] of this.buckets) if (t - b.updatedAt > this.periodMs) this.buckets.delete(k);
    }
    if (bucket.tokens < 1) {
      const seconds = Math.ceil((1 - bucket.tokens) / this.refillPerMs / 1000);
      return { ok: false, retryAfterSeconds: Math.max(1, seconds) };
    }
    return { ok: true, remaining: Math.floor(bucket.tokens) };
  }
}

export type TokenAnswer = { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };
