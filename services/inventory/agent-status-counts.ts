import { count, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { assets } from '../../db/schema/inventory.js';

/** How many of the account's assets have an online agent, an offline one, or none (the Overview's tiles). */
export async function assetsByAgentStatus(
  db: Executor,
  accountId: string,
): Promise<{ online: number; offline: number; none: number }> {
  const rows = await db
    .select({ status: assets.agentStatus, n: count() })
    .from(assets)
    .where(eq(assets.accountId, accountId))
    .groupBy(assets.agentStatus);
  const by: Record<string, number> = Object.fromEntries(rows.map((r) => [r.status, r.n]));
  return { online: by.online ?? 0, offline: by.offline ?? 0, none: by.none ?? 0 };
}
