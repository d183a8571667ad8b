import { and, asc, desc, eq, gt, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { agents } from '../../db/schema/agents.js';
import { assets } from '../../db/schema/inventory.js';
import { memberSettingsAgents, memberSettingsRevisions } from '../../db/schema/multi-account.js';
import { agentOnline } from '../../domain/agent-jobs.js';
import type { TUnappliedSetting } from '../../domain/agent-settings.js';

export interface AgentSettingsView {
  agentId: string;
  assetId: string;
  assetName: string;
  online: boolean;
  /** The account's latest settings revision (null: none saved, the defaults apply). */
  latestRevision: number | null;
  /** The revision the agent reported it runs (0: none yet). */
  appliedRevision: number;
  /** What the agent could not apply of the revision it runs. */
  unapplied: TUnappliedSetting[];
  lastError: string | null;
  /** Behind the latest revision, or running it with settings it could not apply. */
  drift: boolean;
}

/**
 * Each of an account's agents with the settings revision it runs and what it could not apply (issue 16: the agent
 * reports both; the drift is either), by agent id.
 */
export async function listAgentSettings(
  db: Executor,
  opts: { accountId: string; after?: string; limit: number; now?: Date },
): Promise<AgentSettingsView[]> {
  const [latest] = await db
    .select({ revision: memberSettingsRevisions.revision })
    .from(memberSettingsRevisions)
    .where(eq(memberSettingsRevisions.accountId, opts.accountId))
    .orderBy(desc(memberSettingsRevisions.revision))
    .limit(1);
  const where: (SQL | undefined)[] = [
    eq(agents.accountId, opts.accountId),
    opts.after ? gt(agents.id, opts.after) : undefined,
  ];
  const rows = await db
    .select({
      agentId: agents.id,
      assetId: agents.assetId,
      assetName: assets.name,
      lastSeenAt: assets.lastSeenAt,
      appliedRevision: memberSettingsAgents.appliedRevision,
      unapplied: memberSettingsAgents.unapplied,
      lastError: memberSettingsAgents.lastError,
    })
    .from(agents)
    .innerJoin(assets, eq(assets.id, agents.assetId))
    .leftJoin(
      memberSettingsAgents,
      and(eq(memberSettingsAgents.accountId, agents.accountId), eq(memberSettingsAgents.agentId, agents.id)),
    )
    .where(and(...where))
    .orderBy(asc(agents.id))
    .limit(opts.limit);
  const now = opts.now ?? new Date();
  const latestRevision = latest?.revision ?? null;
  return rows.map((r) => {
    const appliedRevision = r.appliedRevision ?? 0;
    const unapplied = r.unapplied ?? [];
    return {
      agentId: r.agentId,
      assetId: r.assetId,
      assetName: r.assetName,
      online: agentOnline(r.lastSeenAt, now),
      latestRevision,
      appliedRevision,
      unapplied,
      lastError: r.lastError ?? null,
      drift: (latestRevision !== null && appliedRevision < latestRevision) || unapplied.length > 0,
    };
  });
}
