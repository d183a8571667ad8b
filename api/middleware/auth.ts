import { eq } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import { apiKeys } from '../../db/schema/accounts.js';
import { roleAllows, type Role } from '../../domain/roles.js';
import { authenticateApiKey } from '../../activities/accounts/api-keys.js';
import type { AppEnv } from '../context.js';
import { ApiError } from '../errors.js';
import { lazyChildLogger } from './request-context.js';

const LAST_USED_RESOLUTION_MS = 60_000;

/** Bearer API key → caller. Unknown, malformed and revoked keys are all the same 401. */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      throw new ApiError('unauthorized', 'send an API key as "Authorization: Bearer <key>"', undefined, {
        'WWW-Authenticate': 'Bearer',
      });
    }
    const { db } = c.get('services');
    const key = await authenticateApiKey(db, match[1]);
    if (!key) {
      throw new ApiError('unauthorized', 'the API key is unknown or revoked', undefined, {
        'WWW-Authenticate': 'Bearer error="invalid_token"',
      });
    }
    c.set('caller', {
      accountId: key.accountId,
      apiKeyId: key.apiKeyId,
      role: key.role,
      actor: `key:${key.apiKeyId}`,
    });
    c.set('logger', lazyChildLogger(c.get('logger'), { accountId: key.accountId, apiKeyId: key.apiKeyId }));
    if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await db.update(apiKeys).set({ lastUsedAt: new Date() }).where(eq(apiKeys.id, key.apiKeyId));
    }
    await next();
  };
}

export function requireRole(role: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const caller = c.get('caller');
    if (!roleAllows(caller.role, role)) {
      throw new ApiError('forbidden', `this action needs the ${role} role; the key has ${caller.role}`);
    }
    await next();
  };
}
