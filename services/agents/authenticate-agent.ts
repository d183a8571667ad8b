import { eq, inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { agents } from '../../db/schema/agents.js';
import { assets } from '../../db/schema/inventory.js';
import { AGENT_TOKEN_PREFIX } from '../../domain/agent-jobs.js';
import { hashToken } from '../../platform/secrets.js';
import {
  AGENT_AUTH_CACHE_MAX,
  AGENT_AUTH_CACHE_MS,
  AGENT_AUTH_CACHE_NOTIFIED_MS,
  authCache,
  type AgentCaller,
} from './agent-token-cache.js';
import { batcherPerDatabase } from './key-batcher.js';

type TokenRow = Omit<AgentCaller, 'assetOnline'> & { agentStatus: string };

/** Token hash → agent row, for all the tokens asked for in one turn (an API restart: the whole fleet at once). */
const tokenLookup = batcherPerDatabase<TokenRow>(async (db, hashes) => {
  const rows = await db
    .select({
      tokenHash: agents.tokenHash,
      agentId: agents.id,
      accountId: agents.accountId,
      assetId: agents.assetId,
      lastHeartbeatAt: agents.lastHeartbeatAt,
      agentStatus: assets.agentStatus,
    })
    .from(agents)
    .innerJoin(assets, eq(assets.id, agents.assetId))
    .where(inArray(agents.tokenHash, hashes));
  return new Map(rows.map(({ tokenHash, ...row }) => [tokenHash, row]));
});

/** The agent a bearer token belongs to, or null. */
export async function authenticateAgent(db: Database, token: string): Promise<AgentCaller | null> {
  if (!token.startsWith(AGENT_TOKEN_PREFIX)) return null;
  const tokenHash = hashToken(token);
  const cache = authCache(db);
  const hit = cache.byToken.get(tokenHash);
  if (hit && hit.expires > Date.now()) return hit.caller;
  const epoch = cache.epoch;
  const row = await tokenLookup(db).get(tokenHash);
  if (!row) {
    cache.byToken.delete(tokenHash);
    return null;
  }
  const { agentStatus, ...rest } = row;
  const caller: AgentCaller = { ...rest, assetOnline: agentStatus === 'online' };
  if (cache.byToken.size >= AGENT_AUTH_CACHE_MAX) {
    cache.byToken.clear();
    cache.byAsset.clear();
  }
  const notified = cache.subscriptions > 0 && cache.epoch === epoch;
  const ttl = notified ? AGENT_AUTH_CACHE_NOTIFIED_MS : AGENT_AUTH_CACHE_MS;
  cache.byToken.set(tokenHash, { caller, expires: Date.now() + ttl });
  const hashes = cache.byAsset.get(caller.assetId) ?? new Set<string>();
  hashes.add(tokenHash);
  cache.byAsset.set(caller.assetId, hashes);
  return caller;
}
