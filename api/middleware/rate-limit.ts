import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.js';
import { ApiError } from '../errors.js';
import { TokenBuckets } from '../token-buckets.js';

/** Token bucket per API key, `perMinute` requests a minute with the same burst (per API replica). */
export function rateLimit(perMinute: number, now: () => number = Date.now): MiddlewareHandler<AppEnv> {
  const buckets = new TokenBuckets(perMinute, 60_000, now);
  return async (c, next) => {
    const taken = buckets.take(c.get('caller').apiKeyId);
    if (!taken.ok) {
      throw new ApiError('rate_limited', `rate limit of ${perMinute} requests a minute reached`, undefined, {
        'Retry-After': String(taken.retryAfterSeconds),
      });
    }
    c.header('RateLimit-Limit', String(perMinute));
    c.header('RateLimit-Remaining', String(taken.remaining));
    await next();
  };
}
