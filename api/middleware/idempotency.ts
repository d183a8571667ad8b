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
 *
 * It runs inside each route after authentication and the route's role check (see `defineRoute`), so a replay is
 * authorised like a first call, and a key is scoped to (API key, method, route path): another key — a viewer that
 * learned an admin's Idempotency-Key — never sees the stored response. The response is sealed under the master key
 * with the row's identity as associated data, because some carry a one-time secret (a new API key, a token).
 */
export function idempotency(): MiddlewareHandler<AppEnv> {
  let inserts = 0;
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (c.req.method !== 'POST' || key === undefined) return next();
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw new ApiError('bad_request', 'Idempotency-Key must be 1–255 visible ASCII characters');
    }
    const { db, secrets } = c.get('services');
    const caller = c.get('caller');
    const body = await c.req.text();
    const scope = {
      accountId: caller.accountId,
      apiKeyId: caller.apiKeyId,
      method: c.req.method,
      path: c.req.path,
      key,
    };
    const aad = `idempotency:${scope.accountId}:${scope.apiKeyId}:${scope.method}:${scope.path}:${key}`;
    const requestHash = createHash('sha256').update(`${c.req.method} ${c.req.path}\n${body}`).digest('hex');
    const where = and(
      eq(idempotencyKeys.accountId, scope.accountId),
      eq(idempotencyKeys.apiKeyId, scope.apiKeyId),
      eq(idempotencyKeys.method, scope.method),
      eq(idempotencyKeys.path, scope.path),
      eq(idempotencyKeys.key, key),
    );
    const claimed = await db
      .insert(idempotencyKeys)
      .values({ ...scope, requestHash })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (claimed.length === 0) {
      const [first] = await db.select().from(idempotencyKeys).where(where);
      if (!first || first.status === null) {
        throw new ApiError('conflict', 'the request with this Idempotency-Key is still in progress');
      }
      if (first.requestHash !== requestHash) {
        throw new ApiError('unprocessable', 'this Idempotency-Key was used for a different request');
      }
      c.header('Idempotent-Replayed', 'true');
      const replayed: unknown =
        first.responseSealed === null ? null : JSON.parse(secrets.openText(first.responseSealed, aad));
      return c.json(replayed, first.status as 200);
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
    try {
      await next();
    } catch (err) {
      // A thrown error becomes its response in app.onError, after this middleware: let the retry run again.
      await db.delete(idempotencyKeys).where(where);
      throw err;
    }
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
    const responseSealed = responseBody === null ? null : secrets.seal(JSON.stringify(responseBody), aad);
    await db.update(idempotencyKeys).set({ status: c.res.status, responseSealed }).where(where);
  };
}
