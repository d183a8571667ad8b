import { and, eq, isNull } from 'drizzle-orm';
import type { Database, Executor } from '../../db/client.js';
import { apiKeys } from '../../db/schema/accounts.js';
import { apiKeyPrefix } from '../../domain/api-keys.js';
import type { Role } from '../../domain/roles.js';
import { hashToken, randomToken, tokenHashEquals } from '../../platform/secrets.js';
import {
  API_KEY_CACHE_MAX,
  API_KEY_CACHE_MS,
  API_KEY_CACHE_NOTIFIED_MS,
  apiKeyCache,
  type AuthenticatedKey,
} from './api-key-cache.js';

export function generateApiKey(): string {
  return `vgl_${randomToken(8)}_${randomToken(40)}`;
}

export interface CreatedApiKey {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: Date;
  /** Shown once; only its hash is stored. */
  key: string;
}

export async function createApiKey(
  db: Executor,
  opts: { accountId: string; name: string; role: Role; createdBy?: string | null; key?: string },
): Promise<CreatedApiKey> {
  const key = opts.key ?? generateApiKey();
  const prefix = apiKeyPrefix(key);
  if (!prefix) throw new Error('API key is not of the form vgl_<8>_<32+>');
  const [row] = await db
    .insert(apiKeys)
    .values({
      accountId: opts.accountId,
      name: opts.name,
      role: opts.role,
      prefix,
      hash: hashToken(key),
      createdBy: opts.createdBy ?? null,
    })
    .returning();
  if (!row) throw new Error('insert returned no row');
  return { id: row.id, name: row.name, role: row.role, prefix: row.prefix, createdAt: row.createdAt, key };
}

export type { AuthenticatedKey };

/**
 * Finds the live key for a bearer token; null for unknown, malformed or revoked keys. A key found is kept in this
 * process's cache (`api-key-cache.ts`): a revocation drops it at once here, and in other processes through
 * `subscribeToApiKeyRevocations`. The object returned is the cached one (the caller refreshes its `lastUsedAt`).
 */
export async function authenticateApiKey(db: Database, key: string): Promise<AuthenticatedKey | null> {
  const prefix = apiKeyPrefix(key);
  if (!prefix) return null;
  const hash = hashToken(key);
  const cache = apiKeyCache(db);
  const now = Date.now();
  const hit = cache.byHash.get(hash);
  if (hit && hit.expires > now) return hit.key;
  const epoch = cache.epoch;
  const [row] = await db
    .select({
      id: apiKeys.id,
      accountId: apiKeys.accountId,
      role: apiKeys.role,
      hash: apiKeys.hash,
      lastUsedAt: apiKeys.lastUsedAt,
    })
    .from(apiKeys)
    .where(and(eq(apiKeys.prefix, prefix), isNull(apiKeys.revokedAt)))
    .limit(1);
  if (!row || !tokenHashEquals(row.hash, hash)) {
    cache.byHash.delete(hash);
    return null;
  }
  const found = { accountId: row.accountId, apiKeyId: row.id, role: row.role, lastUsedAt: row.lastUsedAt };
  // A revocation that ran while this lookup waited may have been read before it committed: keep nothing then.
  if (cache.epoch !== epoch) return found;
  if (cache.byHash.size >= API_KEY_CACHE_MAX) cache.byHash.clear();
  const ttl = cache.subscriptions > 0 ? API_KEY_CACHE_NOTIFIED_MS : API_KEY_CACHE_MS;
  cache.byHash.set(hash, { key: found, expires: Date.now() + ttl });
  return found;
}
