import { createHash } from 'node:crypto';
import { and, eq, lt, sql } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import { idempotencyKeys } from '../../db/schema/idempotency.js';
import type { AppEnv } from '../context.js';
import { ApiError } from '../errors.js';

/** How long the first response to a keyed POST is kept for replay. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * `Idempotency-Key` on a POST: the first response (any status below 500) is stored and replayed for a retry with
 * the same key and the same request; the same key with another request is a 422, and a retry while the first is
 * still running is a 409.
 */
export function idempotency(): MiddlewareHandler<AppEnv> {
  let inserts = 0;
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (c.req.method !== 'POST' || key === undefined) return next();
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw new ApiError('bad_request', 'Idempotency-Key must be 1–255 visible ASCII characters');
    }
    const { db } = c.get('services');
    const caller = c.get('caller');
    const body = await c.req.text();
    const requestHash = createHash('sha256').update(`${c.req.method} ${c.req.path}\n${body}`).digest('hex');
    const claimed = await db
      .insert(idempotencyKeys)
      .values({
        accountId: caller.accountId,
        key,
        apiKeyId: caller.apiKeyId,
        method: c.req.method,
        path: c.req.path,
        requestHash,
      })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (claimed.length === 0) {
      const [first] = await db
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.accountId, caller.accountId), eq(idempotencyKeys.key, key)));
      if (!first)
        throw new ApiError('conflict', 'the request with this Idempotency-Key is still in progress');
      if (first.requestHash !== requestHash) {
        throw new ApiError('unprocessable', 'this Idempotency-Key was used for a different request');
      }
      if (first.status === null) {
        throw new ApiError('conflict', 'the request with this Idempotency-Key is still in progress');
      }
      c.header('Idempotent-Replayed', 'true');
      return c.json(first.responseBody ?? null, first.status as 200);
    }
    if (++inserts % 1000 === 0) {
      await db
        .delete(idempotencyKeys)
        .where(
          lt(
            idempotencyKeys.createdAt,
            sql`now() - make_interval(secs => ${IDEMPOTENCY_RETENTION_MS / 1000})`,
          ),
        );
    }
    await next();
    const where = and(eq(idempotencyKeys.accountId, caller.accountId), eq(idempotencyKeys.key, key));
    if (c.res.status >= 500) {
      await db.delete(idempotencyKeys).where(where);
      return;
    }
    const text = await c.res.clone().text();
    let responseBody: unknown = null;
    if (text !== '') {
      try {
        responseBody = JSON.parse(text);
      } catch {
        responseBody = { body: text };
      }
    }
    await db.update(idempotencyKeys).set({ status: c.res.status, responseBody }).where(where);
  };
}
