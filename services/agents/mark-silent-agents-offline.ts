import { and, eq, lt } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { assets } from '../../db/schema/inventory.js';
import { AGENT_ONLINE_WINDOW_MS } from '../../domain/agent-jobs.js';
import { forgetAssetTokens } from './agent-token-cache.js';

/** Assets whose agent has been silent past the online window show offline. Returns how many changed. */
export async function markSilentAgentsOffline(db: Database, now = new Date()): Promise<number> {
  const rows = await db
    .update(assets)
    .set({ agentStatus: 'offline' })
    .where(
      and(
        eq(assets.agentStatus, 'online'),
        lt(assets.lastSeenAt, new Date(now.getTime() - AGENT_ONLINE_WINDOW_MS)),
      ),
    )
    .returning({ id: assets.id });
  forgetAssetTokens(
    db,
    rows.map((r) => r.id),
  );
  return rows.length;
}
