import { and, count, desc, eq, gte, lt, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { agents } from '../../db/schema/agents.js';
import { assets } from '../../db/schema/inventory.js';
import { memberSettingsAgents, memberSettingsRevisions } from '../../db/schema/multi-account.js';
import { agentOnline } from '../../domain/agent-jobs.js';
import type { TUnappliedSetting } from '../../domain/agent-settings.js';

export type SettingsRevisionRow = typeof memberSettingsRevisions.$inferSelect;

export async function latestRevision(db: Executor, memberId: string): Promise<SettingsRevisionRow | null> {
  const [row] = await db
    .select()
    .from(memberSettingsRevisions)
    .where(eq(memberSettingsRevisions.accountId, memberId))
    .orderBy(desc(memberSettingsRevisions.revision))
    .limit(1);
  return row ?? null;
}

export interface DriftedAgent {
  agentId: string;
  assetId: string;
  assetName: string;
  appliedRevision: number;
  online: boolean;
  lastError: string | null;
  /** What the agent reported it could not apply of the revision it runs. */
  unapplied: TUnappliedSetting[];
}

export interface RolloutProgress {
  revision: number;
  agents: number;
  applied: number;
  /** Agents not on `revision`, up to `driftLimit` of them. */
  drift: DriftedAgent[];
  driftCount: number;
  /** Agents on `revision` that could not apply all of it (unsupported on their host), up to `driftLimit`. */
  partial: DriftedAgent[];
}

const applied = sql<number>`coalesce(${memberSettingsAgents.appliedRevision}, 0)`;
/** Joins an agent to its row of what it applied (none before it first reported). */
const agentsOwnRow = and(
  eq(memberSettingsAgents.accountId, agents.accountId),
  eq(memberSettingsAgents.agentId, agents.id),
);

/** How far `revision` has reached the member's agents, and which agents are not on it (the drift list). */
export async function rolloutProgress(
  db: Executor,
  opts: { memberId: string; revision: number; driftLimit: number; now?: Date },
): Promise<RolloutProgress> {
  const fromAgents = () =>
    db.select({ n: count() }).from(agents).leftJoin(memberSettingsAgents, agentsOwnRow);
  const [total] = await fromAgents().where(eq(agents.accountId, opts.memberId));
  const [behind] = await fromAgents().where(
    and(eq(agents.accountId, opts.memberId), lt(applied, opts.revision)),
  );
  const drift = await driftedAgents(db, { ...opts, limit: opts.driftLimit });
  const partial = await driftedAgents(db, { ...opts, limit: opts.driftLimit, partial: true });
  const driftCount = behind?.n ?? 0;
  return {
    revision: opts.revision,
    agents: total?.n ?? 0,
    applied: (total?.n ?? 0) - driftCount,
    drift,
    driftCount,
    partial,
  };
}

/**
 * The member's agents below `revision`, by agent id; with `partial`, those on `revision` (or later) that reported
 * settings they could not apply instead.
 */
export async function driftedAgents(
  db: Executor,
  opts: { memberId: string; revision: number; limit: number; now?: Date; partial?: boolean },
): Promise<DriftedAgent[]> {
  const now = opts.now ?? new Date();
  const rows = await db
    .select({
      agentId: agents.id,
      assetId: agents.assetId,
      assetName: assets.name,
      appliedRevision: applied,
      lastSeenAt: assets.lastSeenAt,
      lastError: memberSettingsAgents.lastError,
      unapplied: memberSettingsAgents.unapplied,
    })
    .from(agents)
    .innerJoin(assets, eq(assets.id, agents.assetId))
    .leftJoin(memberSettingsAgents, agentsOwnRow)
    .where(
      and(
        eq(agents.accountId, opts.memberId),
        opts.partial
          ? and(gte(applied, opts.revision), sql`jsonb_array_length(${memberSettingsAgents.unapplied}) > 0`)
          : lt(applied, opts.revision),
      ),
    )
    .orderBy(agents.id)
    .limit(opts.limit);
  return rows.map((r) => ({
    agentId: r.agentId,
    assetId: r.assetId,
    assetName: r.assetName,
    appliedRevision: Number(r.appliedRevision),
    online: agentOnline(r.lastSeenAt, now),
    lastError: r.lastError,
    unapplied: r.unapplied ?? [],
  }));
}

/**
 * Records what an agent reported after a configure job: the revision it now runs (the agent is the source of
 * truth), or the error of a failed attempt (its applied revision stays as it was).
 */
export async function recordAgentRevision(
  db: Executor,
  opts: {
    memberId: string;
    agentId: string;
    assetId: string;
    attemptedRevision: number;
    appliedRevision?: number;
    error?: string;
  },
): Promise<void> {
  const now = new Date();
  const reported = opts.appliedRevision;
  await db
    .insert(memberSettingsAgents)
    .values({
      accountId: opts.memberId,
      agentId: opts.agentId,
      assetId: opts.assetId,
      appliedRevision: reported ?? 0,
      lastAttemptRevision: opts.attemptedRevision,
      lastError: opts.error ?? null,
      appliedAt: reported === undefined ? null : now,
    })
    .onConflictDoUpdate({
      target: [memberSettingsAgents.accountId, memberSettingsAgents.agentId],
      set: {
        assetId: opts.assetId,
        lastAttemptRevision: opts.attemptedRevision,
        lastError: opts.error ?? null,
        ...(reported === undefined ? {} : { appliedRevision: reported, appliedAt: now }),
      },
    });
}

/** Marks that the rollout workflow of a revision has been started. */
export async function markRolloutStarted(db: Executor, memberId: string, revision: number): Promise<void> {
  await db
    .update(memberSettingsRevisions)
    .set({ rolloutStartedAt: new Date() })
    .where(
      and(eq(memberSettingsRevisions.accountId, memberId), eq(memberSettingsRevisions.revision, revision)),
    );
}

/** Latest revisions whose rollout was never started (a crash between saving and starting): the repair list. */
export async function unstartedRollouts(db: Executor): Promise<{ memberId: string; revision: number }[]> {
  const latest = db
    .select({
      accountId: memberSettingsRevisions.accountId,
      maxRevision: sql<number>`max(${memberSettingsRevisions.revision})`.as('max_revision'),
    })
    .from(memberSettingsRevisions)
    .groupBy(memberSettingsRevisions.accountId)
    .as('latest');
  const rows = await db
    .select({ memberId: memberSettingsRevisions.accountId, revision: memberSettingsRevisions.revision })
    .from(memberSettingsRevisions)
    .innerJoin(
      latest,
      and(
        eq(latest.accountId, memberSettingsRevisions.accountId),
        eq(latest.maxRevision, memberSettingsRevisions.revision),
      ),
    )
    .where(sql`${memberSettingsRevisions.rolloutStartedAt} is null`);
  return rows;
}
