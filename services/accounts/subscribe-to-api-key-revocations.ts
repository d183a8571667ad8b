import type { DatabaseHandle } from '../../db/client.js';
import { API_KEY_CHANNEL, apiKeyCache, forgetAllApiKeys, forgetApiKey } from './api-key-cache.js';

/**
 * Drops a cached API key as soon as any process revokes it (Postgres NOTIFY), and lets this process keep key lookups
 * for `API_KEY_CACHE_NOTIFIED_MS`. On PGlite (no `listen`) the database lives in this process, so every revocation
 * is this process's own and drops the key here already. Returns the unsubscribe.
 */
export async function subscribeToApiKeyRevocations(
  handle: Pick<DatabaseHandle, 'db' | 'listen'>,
): Promise<() => Promise<void>> {
  const cache = apiKeyCache(handle.db);
  const unlisten = handle.listen
    ? await handle.listen(
        API_KEY_CHANNEL,
        (apiKeyId) => forgetApiKey(handle.db, apiKeyId),
        // Revocations notified while the listener reconnected are lost: trust no cached key from before.
        () => forgetAllApiKeys(handle.db),
      )
    : async () => undefined;
  cache.subscriptions++;
  return async () => {
    cache.subscriptions--;
    await unlisten();
  };
}
