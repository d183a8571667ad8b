import { and, count, desc, eq, lt, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../db/client.js';
import { agents } from '../../db/schema/agents.js';
import { assets } from '../../db/schema/inventory.js';
import {
  managedMembers,
  memberSettingsAgents,
  memberSettingsRevisions,
} from '../../db/schema/multi-account.js';
import { agentOnline } from '../../domain/agent-jobs.js';
import { MultiAccountRuleError } from '../../domain/multi-account/directory.js';
import type { TMemberSettings } from '../../domain/multi-account/member-settings.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';

export type SettingsRevisionRow = typeof memberSettingsRevisions.$inferSelect;

/** Saves a member's settings as its next revision; audited in the administrator's and the member's log. */
export async function saveMemberSettings(
  db: Database,
  opts: { by: MultiAccountActor; memberId: string; settings: TMemberSettings },
): Promise<SettingsRevisionRow> {
  return db.transaction(async (tx) => {
    // The member's row lock serialises saves, so revisions are gap-free and never collide.
    const [member] = await tx
      .select({ id: managedMembers.accountId })
      .from(managedMembers)
      .where(eq(managedMembers.accountId, opts.memberId))
      .for('update');
    if (!member) throw new MultiAccountRuleError('not_found', 'managed member not found');
    const previous = await latestRevision(tx, opts.memberId);
    const [row] = await tx
      .insert(memberSettingsRevisions)
      .values({
        accountId: opts.memberId,
        revision: (previous?.revision ?? 0) + 1,
        settings: opts.settings,
        actor: opts.by.actor,
        actorAccountId: opts.by.accountId,
      })
      .returning();
    if (!row) throw new Error('insert returned no row');
    await recordCrossAccountAudit(tx, opts.by, opts.memberId, {
      action: 'multi_account.member_settings.save',
      targetType: 'member_settings',
      targetId: `${opts.memberId}:${row.revision}`,
      before: previous ? { revision: previous.revision, settings: previous.settings } : null,
      after: { revision: row.revision, settings: row.settings },
    });
    return row;
  });
}

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
}

export interface RolloutProgress {
  revision: number;
  agents: number;
  applied: number;
  /** Agents not on `revision`, up to `driftLimit` of them. */
  drift: DriftedAgent[];
  driftCount: number;
}

const applied = sql<number>`coalesce(${memberSettingsAgents.appliedRevision}, 0)`;

/** How far `revision` has reached the member's agents, and which agents are not on it (the drift list). */
export async function rolloutProgress(
  db: Executor,
  opts: { memberId: string; revision: number; driftLimit: number; now?: Date },
): Promise<RolloutProgress> {
  const fromAgents = () =>
    db
      .select({ n: count() })
      .from(agents)
      .leftJoin(
        memberSettingsAgents,
        and(
          eq(memberSettingsAgents.accountId, agents.accountId),
          eq(memberSettingsAgents.agentId, agents.id),
        ),
      );
  const [total] = await fromAgents().where(eq(agents.accountId, opts.memberId));
  const [behind] = await fromAgents().where(
    and(eq(agents.accountId, opts.memberId), lt(applied, opts.revision)),
  );
  const drift = await driftedAgents(db, { ...opts, limit: opts.driftLimit });
  const driftCount = behind?.n ?? 0;
  return {
    revision: opts.revision,
    agents: total?.n ?? 0,
    applied: (total?.n ?? 0) - driftCount,
    drift,
    driftCount,
  };
}

/** The member's agents below `revision`, by agent id. */
export async function driftedAgents(
  db: Executor,
  opts: { memberId: string; revision: number; limit: number; now?: Date },
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
    })
    .from(agents)
    .innerJoin(assets, eq(assets.id, agents.assetId))
    .leftJoin(
      memberSettingsAgents,
      and(eq(memberSettingsAgents.accountId, agents.accountId), eq(memberSettingsAgents.agentId, agents.id)),
    )
    .where(and(eq(agents.accountId, opts.memberId), lt(applied, opts.revision)))
    .orderBy(agents.id)
    .limit(opts.limit);
  return rows.map((r) => ({
    agentId: r.agentId,
    assetId: r.assetId,
    assetName: r.assetName,
    appliedRevision: Number(r.appliedRevision),
    online: agentOnline(r.lastSeenAt, now),
    lastError: r.lastError,
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
