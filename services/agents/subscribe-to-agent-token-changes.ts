import type { DatabaseHandle } from '../../db/client.js';
import {
  AGENT_TOKEN_CHANNEL,
  authCache,
  forgetAllAgentTokens,
  forgetAssetTokens,
} from './agent-token-cache.js';

/**
 * Postgres only: drops cached tokens as soon as any process replaces or deletes them, and lets this process keep
 * token lookups for `AGENT_AUTH_CACHE_NOTIFIED_MS`. Returns the unsubscribe.
 */
export async function subscribeToAgentTokenChanges(
  handle: Pick<DatabaseHandle, 'db' | 'listen'>,
): Promise<() => Promise<void>> {
  if (!handle.listen) return async () => undefined;
  const cache = authCache(handle.db);
  const unlisten = await handle.listen(
    AGENT_TOKEN_CHANNEL,
    (assetId) => forgetAssetTokens(handle.db, [assetId]),
    // Changes notified while the listener reconnected are lost: trust no cached token from before.
    () => forgetAllAgentTokens(handle.db),
  );
  cache.subscriptions++;
  return async () => {
    cache.subscriptions--;
    await unlisten();
  };
}
