import type { Database } from '../../db/client.js';

/** An authenticated agent: the caller of `/agent/v1/*`, bound to one asset. */
export interface AgentCaller {
  agentId: string;
  accountId: string;
  assetId: string;
  lastHeartbeatAt: Date | null;
  assetOnline: boolean;
}

/**
 * How long this process trusts an agent token it has looked up. An idle fleet's long polls are most of the API's
 * traffic, and each would otherwise read the agents table first. A token replaced by a registration in this process
 * is dropped at once; one replaced through another API process stops working within this time.
 */
export const AGENT_AUTH_CACHE_MS = 10_000;
/**
 * The same while this process hears token changes (`subscribeToAgentTokenChanges`: a trigger on the agents table
 * notifies every process when a token is replaced or deleted). The limit only bounds a notification lost while the
 * listener reconnects.
 */
export const AGENT_AUTH_CACHE_NOTIFIED_MS = 5 * 60_000;
/** The Postgres channel the `agents_token_changed` trigger notifies (payload: the asset id). */
export const AGENT_TOKEN_CHANNEL = 'vigil_agent_tokens';
/** Tokens kept at most: past it the cache starts over. */
export const AGENT_AUTH_CACHE_MAX = 200_000;

/**
 * The agent tokens this process has looked up, per database: `authenticateAgent` fills it, a registration or an
 * offline sweep in this process drops an asset's tokens, and `subscribeToAgentTokenChanges` drops those another
 * process replaced.
 */
export interface AuthCache {
  byToken: Map<string, { caller: AgentCaller; expires: number }>;
  /** Token hashes cached per asset, so that dropping an asset's tokens does not walk the whole cache. */
  byAsset: Map<string, Set<string>>;
  /** Live subscriptions to token changes. */
  subscriptions: number;
  /** Counts forgets: a lookup that a forget overtook (the token may have changed meanwhile) is kept only briefly. */
  epoch: number;
}
const authCaches = new WeakMap<Database, AuthCache>();

export function authCache(db: Database): AuthCache {
  let cache = authCaches.get(db);
  if (!cache) {
    cache = { byToken: new Map(), byAsset: new Map(), subscriptions: 0, epoch: 0 };
    authCaches.set(db, cache);
  }
  return cache;
}

/** Drops every cached token: the change channel was lost for a while, and what it said meanwhile is gone. */
export function forgetAllAgentTokens(db: Database): void {
  const cache = authCache(db);
  cache.epoch++;
  cache.byToken.clear();
  cache.byAsset.clear();
}

/** Drops the cached tokens of assets whose agent token was replaced or that were just marked offline. */
export function forgetAssetTokens(db: Database, assetIds: readonly string[]): void {
  // A sweep that marked nothing offline changed no token: concurrent lookups keep their long lifetime.
  if (assetIds.length === 0) return;
  const cache = authCache(db);
  cache.epoch++;
  for (const assetId of assetIds) {
    for (const hash of cache.byAsset.get(assetId) ?? []) cache.byToken.delete(hash);
    cache.byAsset.delete(assetId);
  }
}
