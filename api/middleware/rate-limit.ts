import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.js';
import { ApiError } from '../errors.js';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token bucket per API key, `perMinute` requests a minute with the same burst. Kept in process memory: each API
 * replica limits on its own, which bounds a runaway client without a shared store.
 */
export function rateLimit(perMinute: number, now: () => number = Date.now): MiddlewareHandler<AppEnv> {
  const buckets = new Map<string, Bucket>();
  const refillPerMs = perMinute / 60_000;
  return async (c, next) => {
    const id = c.get('caller').apiKeyId;
    const t = now();
    const bucket = buckets.get(id) ?? { tokens: perMinute, updatedAt: t };
    bucket.tokens = Math.min(perMinute, bucket.tokens + (t - bucket.updatedAt) * refillPerMs);
    bucket.updatedAt = t;
    buckets.set(id, bucket);
    if (bucket.tokens < 1) {
      const retryAfter = Math.ceil((1 - bucket.tokens) / refillPerMs / 1000);
      throw new ApiError('rate_limited', `rate limit of ${perMinute} requests a minute reached`, undefined, {
        'Retry-After': String(retryAfter),
      });
    }
    bucket.tokens -= 1;
    c.header('RateLimit-Limit', String(perMinute));
    c.header('RateLimit-Remaining', String(Math.floor(bucket.tokens)));
    if (buckets.size > 50_000) {
      for (const [k, b] of buckets) if (t - b.updatedAt > 120_000) buckets.delete(k);
    }
    await next();
  };
}
