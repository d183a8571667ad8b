import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { agents } from '../../db/schema/agents.js';
import { assets } from '../../db/schema/inventory.js';
import { agentOnline } from '../../domain/agent-jobs.js';

/** When the asset's agent was last heard from (a query to run or to use as a subquery). */
export function agentLastSeen(db: Database, accountId: string, assetId: string) {
  return db
    .select({ lastSeenAt: assets.lastSeenAt })
    .from(agents)
    .innerJoin(assets, eq(assets.id, agents.assetId))
    .where(and(eq(agents.accountId, accountId), eq(agents.assetId, assetId)));
}

/** Precheck helper: the asset has an agent that was heard from recently. */
export async function agentIsOnline(db: Database, accountId: string, assetId: string): Promise<boolean> {
  const [row] = await agentLastSeen(db, accountId, assetId);
  return row ? agentOnline(row.lastSeenAt, new Date()) : false;
}
