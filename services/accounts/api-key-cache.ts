import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Role } from '../../domain/roles.js';

/** A live API key as `authenticateApiKey` finds it. */
export interface AuthenticatedKey {
  accountId: string;
  apiKeyId: string;
  role: Role;
  /** When a request last used the key, as this process last wrote or read it (written at most once a minute). */
  lastUsedAt: Date | null;
}

/**
 * How long this process trusts an API key it has looked up while nothing tells it about revocations: every
 * request read `api_keys` first, a third of a detail request's statements. A key revoked in this process is dropped
 * at once; without a subscription, one revoked through another API process stops working within this time.
 */
export const API_KEY_CACHE_MS = 1_000;
/**
 * The same while this process hears revocations (`subscribeToApiKeyRevocations`: a revocation notifies every process
 * on commit). The limit only bounds a notification lost while the listener reconnects.
 */
export const API_KEY_CACHE_NOTIFIED_MS = 5 * 60_000;
/** The Postgres channel a revocation notifies (payload: the API key's id). */
export const API_KEY_CHANNEL = 'vigil_api_key_revoked';
/** Keys kept at most: past it the cache starts over. */
export const API_KEY_CACHE_MAX = 10_000;

/** The API keys this process has looked up, per database, by the hash of the bearer token. */
export interface ApiKeyCache {
  byHash: Map<string, { key: AuthenticatedKey; expires: number }>;
  /** Live subscriptions to revocations. */
  subscriptions: number;
  /** Counts forgets: a lookup that a forget overtook (the key may be revoked meanwhile) is not kept. */
  epoch: number;
}
const caches = new WeakMap<Database, ApiKeyCache>();

export function apiKeyCache(db: Database): ApiKeyCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = { byHash: new Map(), subscriptions: 0, epoch: 0 };
    caches.set(db, cache);
  }
  return cache;
}

/** Drops a key from this process's cache (a revocation here or, through the channel, in another process). */
export function forgetApiKey(db: Database, apiKeyId: string): void {
  const cache = apiKeyCache(db);
  cache.epoch++;
  for (const [hash, entry] of cache.byHash) {
    if (entry.key.apiKeyId === apiKeyId) cache.byHash.delete(hash);
  }
}

/** Drops every cached key: the revocation channel was lost for a while, and what it said meanwhile is gone. */
export function forgetAllApiKeys(db: Database): void {
  const cache = apiKeyCache(db);
  cache.epoch++;
  cache.byHash.clear();
}

/**
 * After a revocation committed: drops the key here at once and tells every other process listening on
 * `API_KEY_CHANNEL` (Postgres) to drop it too.
 */
export async function announceApiKeyRevoked(db: Database, apiKeyId: string): Promise<void> {
  forgetApiKey(db, apiKeyId);
  await db.execute(sql`select pg_notify(${API_KEY_CHANNEL}, ${apiKeyId})`);
}
