import { and, eq, gt, inArray, isNull, lt, or, sql, TransactionRollbackError } from 'drizzle-orm';
import type { Database, DatabaseHandle, Executor } from '../../db/client.js';
import { recordAudit } from '../../db/audit.js';
import { agentEnrollmentTokens, agents } from '../../db/schema/agents.js';
import { assets } from '../../db/schema/inventory.js';
import {
  AGENT_ONLINE_WINDOW_MS,
  AGENT_TOKEN_PREFIX,
  defaultCapabilities,
  ENROLLMENT_TOKEN_PREFIX,
  TOKEN_SECRET_LENGTH,
  type TRegisterRequest,
} from '../../domain/agent-jobs.js';
import { hashToken, randomToken } from '../../platform/secrets.js';

export type EnrollmentTokenRow = typeof agentEnrollmentTokens.$inferSelect;

export interface AuditedBy {
  accountId: string;
  actor: string;
  requestId?: string;
}

export async function createEnrollmentToken(
  db: Database,
  opts: AuditedBy & { assetId?: string; expiresInHours: number; maxUses?: number; description?: string },
): Promise<{ row: EnrollmentTokenRow; token: string }> {
  const token = `${ENROLLMENT_TOKEN_PREFIX}${randomToken(TOKEN_SECRET_LENGTH)}`;
  const row = await db.transaction(async (tx) => {
    const [inserted] = await tx
      .insert(agentEnrollmentTokens)
      .values({
        accountId: opts.accountId,
        tokenHash: hashToken(token),
        assetId: opts.assetId ?? null,
        description: opts.description ?? '',
        expiresAt: new Date(Date.now() + opts.expiresInHours * 3_600_000),
        maxUses: opts.maxUses ?? null,
        createdBy: opts.actor,
      })
      .returning();
    if (!inserted) throw new Error('insert returned no row');
    await recordAudit(tx, {
      ...opts,
      action: 'agent_enrollment_token.create',
      targetType: 'agent_enrollment_token',
      targetId: inserted.id,
      after: withoutHash(inserted),
    });
    return inserted;
  });
  return { row, token };
}

export function withoutHash(row: EnrollmentTokenRow): Omit<EnrollmentTokenRow, 'tokenHash'> {
  const { tokenHash: _hash, ...rest } = row;
  return rest;
}

/** Deletes a token; agents it enrolled keep their own tokens. Returns false when the token is not the account's. */
export async function deleteEnrollmentToken(
  db: Database,
  opts: AuditedBy & { id: string },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .delete(agentEnrollmentTokens)
      .where(and(eq(agentEnrollmentTokens.accountId, opts.accountId), eq(agentEnrollmentTokens.id, opts.id)))
      .returning();
    if (!row) return false;
    await recordAudit(tx, {
      ...opts,
      action: 'agent_enrollment_token.delete',
      targetType: 'agent_enrollment_token',
      targetId: row.id,
      before: withoutHash(row),
    });
    return true;
  });
}

export type RegisterOutcome =
  | { ok: true; agentId: string; assetId: string; agentToken: string; accountId: string }
  | { ok: false; reason: 'unknown' | 'expired' | 'exhausted' };

/**
 * Spends one use of an enrollment token and binds a new agent token to exactly one asset: the token's bound asset,
 * or the asset with the agent's instance id (hostname when it has none), created if missing. Registering again for
 * an asset replaces its agent token.
 */
export async function registerAgent(db: Database, req: TRegisterRequest): Promise<RegisterOutcome> {
  const enrollmentHash = hashToken(req.enrollmentToken);
  const agentToken = `${AGENT_TOKEN_PREFIX}${randomToken(TOKEN_SECRET_LENGTH)}`;
  const usable = and(
    eq(agentEnrollmentTokens.tokenHash, enrollmentHash),
    gt(agentEnrollmentTokens.expiresAt, new Date()),
    or(isNull(agentEnrollmentTokens.maxUses), lt(agentEnrollmentTokens.uses, agentEnrollmentTokens.maxUses)),
  );
  const outcome = await db
    .transaction(async (tx): Promise<RegisterOutcome> => {
      // Read first, spend the use last: the token row is a hot row when a whole fleet enrolls at once, so its lock is
      // held only from the spending update to the commit instead of for the whole registration.
      const [enrollment] = await tx.select().from(agentEnrollmentTokens).where(usable);
      if (!enrollment) return { ok: false, reason: await whyRefused(tx, enrollmentHash) };
      const now = new Date();
      const assetId = enrollment.assetId ?? (await upsertAgentAsset(tx, enrollment.accountId, req));
      await tx
        .update(assets)
        .set({ agentStatus: 'online', lastSeenAt: now })
        .where(and(eq(assets.accountId, enrollment.accountId), eq(assets.id, assetId)));
      const agentFields = {
        tokenHash: hashToken(agentToken),
        enrollmentTokenId: enrollment.id,
        version: req.agentVersion,
        hostname: req.hostname,
        executor: req.executor,
        capabilities: req.capabilities ?? defaultCapabilities(req.executor),
        lastHeartbeatAt: now,
        registeredAt: now,
      };
      const [agent] = await tx
        .insert(agents)
        .values({ accountId: enrollment.accountId, assetId, ...agentFields })
        .onConflictDoUpdate({ target: agents.assetId, set: agentFields })
        .returning({ id: agents.id });
      if (!agent) throw new Error('agent upsert returned no row');
      await recordAudit(tx, {
        accountId: enrollment.accountId,
        actor: `enrollment-token:${enrollment.id}`,
        action: 'agent.register',
        targetType: 'agent',
        targetId: agent.id,
        after: {
          assetId,
          hostname: req.hostname,
          executor: req.executor,
          version: req.agentVersion,
          capabilities: req.capabilities ?? defaultCapabilities(req.executor),
        },
      });
      const [spent] = await tx
        .update(agentEnrollmentTokens)
        .set({ uses: sql`${agentEnrollmentTokens.uses} + 1`, lastUsedAt: now })
        .where(and(eq(agentEnrollmentTokens.id, enrollment.id), usable))
        .returning({ id: agentEnrollmentTokens.id });
      // Another registration took the last use (or the token expired) since the read: undo this one.
      if (!spent) tx.rollback();
      return { ok: true, agentId: agent.id, assetId, agentToken, accountId: enrollment.accountId };
    })
    .catch(async (err: unknown): Promise<RegisterOutcome> => {
      if (!(err instanceof TransactionRollbackError)) throw err;
      return { ok: false, reason: await whyRefused(db, enrollmentHash) };
    });
  if (outcome.ok) forgetAssetTokens(db, [outcome.assetId]);
  return outcome;
}

async function whyRefused(tx: Executor, tokenHash: string): Promise<'unknown' | 'expired' | 'exhausted'> {
  const [row] = await tx
    .select({ expiresAt: agentEnrollmentTokens.expiresAt })
    .from(agentEnrollmentTokens)
    .where(eq(agentEnrollmentTokens.tokenHash, tokenHash));
  if (!row) return 'unknown';
  return row.expiresAt.getTime() <= Date.now() ? 'expired' : 'exhausted';
}

async function upsertAgentAsset(tx: Executor, accountId: string, req: TRegisterRequest): Promise<string> {
  const known = {
    hostname: req.hostname,
    osFamily: req.osFamily,
    ...(req.osVersion ? { osVersion: req.osVersion } : {}),
    ...(req.ips.length > 0 ? { ips: req.ips, ipText: req.ips.join(' ') } : {}),
  };
  const [row] = await tx
    .insert(assets)
    .values({
      accountId,
      instanceId: req.instanceId ?? req.hostname,
      name: req.name ?? req.hostname,
      ...known,
    })
    .onConflictDoUpdate({
      target: [assets.accountId, assets.instanceId],
      set: { ...known, updatedAt: new Date() },
    })
    .returning({ id: assets.id });
  if (!row) throw new Error('asset upsert returned no row');
  return row.id;
}

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
const AGENT_AUTH_CACHE_MAX = 200_000;
interface AuthCache {
  byToken: Map<string, { caller: AgentCaller; expires: number }>;
  /** Token hashes cached per asset, so that dropping an asset's tokens does not walk the whole cache. */
  byAsset: Map<string, Set<string>>;
  /** Live subscriptions to token changes. */
  subscriptions: number;
  /** Counts forgets: a lookup that a forget overtook (the token may have changed meanwhile) is kept only briefly. */
  epoch: number;
}
const authCaches = new WeakMap<Database, AuthCache>();

function authCache(db: Database): AuthCache {
  let cache = authCaches.get(db);
  if (!cache) {
    cache = { byToken: new Map(), byAsset: new Map(), subscriptions: 0, epoch: 0 };
    authCaches.set(db, cache);
  }
  return cache;
}

/**
 * Postgres only: drops cached tokens as soon as any process replaces or deletes them, and lets this process keep
 * token lookups for `AGENT_AUTH_CACHE_NOTIFIED_MS`. Returns the unsubscribe.
 */
export async function subscribeToAgentTokenChanges(
  handle: Pick<DatabaseHandle, 'db' | 'listen'>,
): Promise<() => Promise<void>> {
  if (!handle.listen) return async () => undefined;
  const cache = authCache(handle.db);
  const unlisten = await handle.listen(AGENT_TOKEN_CHANNEL, (assetId) =>
    forgetAssetTokens(handle.db, [assetId]),
  );
  cache.subscriptions++;
  return async () => {
    cache.subscriptions--;
    await unlisten();
  };
}

/** Drops the cached tokens of assets whose agent token was replaced or that were just marked offline. */
function forgetAssetTokens(db: Database, assetIds: readonly string[]): void {
  // A sweep that marked nothing offline changed no token: concurrent lookups keep their long lifetime.
  if (assetIds.length === 0) return;
  const cache = authCache(db);
  cache.epoch++;
  for (const assetId of assetIds) {
    for (const hash of cache.byAsset.get(assetId) ?? []) cache.byToken.delete(hash);
    cache.byAsset.delete(assetId);
  }
}

/** The agent a bearer token belongs to, or null. */
export async function authenticateAgent(db: Database, token: string): Promise<AgentCaller | null> {
  if (!token.startsWith(AGENT_TOKEN_PREFIX)) return null;
  const tokenHash = hashToken(token);
  const cache = authCache(db);
  const hit = cache.byToken.get(tokenHash);
  if (hit && hit.expires > Date.now()) return hit.caller;
  const epoch = cache.epoch;
  const [row] = await db
    .select({
      agentId: agents.id,
      accountId: agents.accountId,
      assetId: agents.assetId,
      lastHeartbeatAt: agents.lastHeartbeatAt,
      agentStatus: assets.agentStatus,
    })
    .from(agents)
    .innerJoin(assets, eq(assets.id, agents.assetId))
    .where(eq(agents.tokenHash, tokenHash));
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

/**
 * Writes are skipped when the agent was seen this recently and its asset already shows online: half the online
 * window keeps the status exact (last write ≤ 45 s + one 30 s poll < 90 s) while an idle fleet's long polls write
 * only every other time.
 */
const TOUCH_RESOLUTION_MS = AGENT_ONLINE_WINDOW_MS / 2;

/** How long keep-alive touches of agents already online gather before one statement writes them all. */
export const TOUCH_FLUSH_MS = 1_000;
/** Agents per flush statement (well under the drivers' parameter limits). */
const TOUCH_FLUSH_CHUNK = 5_000;

interface TouchBatch {
  /** agent id → the (cached) caller */
  due: Map<string, AgentCaller>;
  timer: NodeJS.Timeout | null;
}
const touchBatches = new WeakMap<Database, TouchBatch>();

/**
 * Records that the agent was heard from: agent heartbeat time and the asset's online status. An agent coming online
 * is written at once; an online agent's keep-alive joins a batch written within `TOUCH_FLUSH_MS` (an idle fleet's
 * long polls would otherwise make this the most frequent write of all). A batch that fails is logged through
 * `onError`; its agents are written again on their next poll.
 */
export async function touchAgent(
  db: Database,
  agent: AgentCaller,
  onError: (err: unknown) => void,
): Promise<void> {
  const now = new Date();
  if (
    agent.assetOnline &&
    agent.lastHeartbeatAt &&
    now.getTime() - agent.lastHeartbeatAt.getTime() < TOUCH_RESOLUTION_MS
  ) {
    return;
  }
  if (agent.assetOnline) {
    let batch = touchBatches.get(db);
    if (!batch) {
      batch = { due: new Map(), timer: null };
      touchBatches.set(db, batch);
    }
    batch.due.set(agent.agentId, agent);
    batch.timer ??= setTimeout(() => {
      const due = [...batch.due.values()];
      batch.due = new Map();
      batch.timer = null;
      writeTouches(
        db,
        due.map((a) => a.agentId),
        due.map((a) => a.assetId),
        new Date(),
      ).catch((err: unknown) => {
        // Written again on the agents' next polls: their cached callers forget the write that failed.
        for (const a of due) a.lastHeartbeatAt = null;
        onError(err);
      });
    }, TOUCH_FLUSH_MS);
    batch.timer.unref();
  } else {
    await writeTouches(db, [agent.agentId], [agent.assetId], now);
  }
  // The cached caller (the same object) now knows it was heard from, so the next polls skip the write.
  agent.lastHeartbeatAt = now;
  agent.assetOnline = true;
}

/** One round trip for both tables per chunk. */
async function writeTouches(db: Database, agentIds: string[], assetIds: string[], now: Date): Promise<void> {
  for (let i = 0; i < agentIds.length; i += TOUCH_FLUSH_CHUNK) {
    const touched = db.$with('touched').as(
      db
        .update(agents)
        .set({ lastHeartbeatAt: now })
        .where(inArray(agents.id, agentIds.slice(i, i + TOUCH_FLUSH_CHUNK)))
        .returning({ id: agents.id }),
    );
    await db
      .with(touched)
      .update(assets)
      .set({ agentStatus: 'online', lastSeenAt: now })
      .where(inArray(assets.id, assetIds.slice(i, i + TOUCH_FLUSH_CHUNK)));
  }
}

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
