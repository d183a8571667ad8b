import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import { apiKeys } from '../../db/schema/accounts.js';
import { roleAllows, type Role } from '../../domain/roles.js';
import { authenticateApiKey } from '../../services/accounts/api-keys.js';
import type { AppEnv, Caller } from '../context.js';
import { ApiError } from '../errors.js';
import { lazyChildLogger } from './request-context.js';

const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Requests that the web console makes in this process for a signed-in session carry a one-time random token in this
 * header; the token names the session's API key as the caller (the console checked the session and the key). A
 * token lives only while its request runs, so a request from the network cannot present one.
 */
export const IN_PROCESS_CALLER_HEADER = 'x-vigil-in-process-caller';
const inProcessCallers = new Map<string, Caller>();

export async function asInProcessCaller<T>(caller: Caller, call: (token: string) => Promise<T>): Promise<T> {
  const token = randomBytes(32).toString('base64url');
  inProcessCallers.set(token, caller);
  try {
    return await call(token);
  } finally {
    inProcessCallers.delete(token);
  }
}

/** Bearer API key → caller. Unknown, malformed and revoked keys are all the same 401. */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const inProcessToken = c.req.header(IN_PROCESS_CALLER_HEADER);
    const inProcess = inProcessToken ? inProcessCallers.get(inProcessToken) : undefined;
    if (inProcess) {
      c.set('caller', inProcess);
      return next();
    }
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
      // The key is this process's cached one: concurrent requests see the new time and write nothing more.
      key.lastUsedAt = new Date();
      await db.update(apiKeys).set({ lastUsedAt: key.lastUsedAt }).where(eq(apiKeys.id, key.apiKeyId));
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
