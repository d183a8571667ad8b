import { and, eq, gt, isNull, lt, or, sql, TransactionRollbackError } from 'drizzle-orm';
import type { Database, Executor } from '../../db/client.js';
import { recordAudit } from '../../db/audit.js';
import { agentEnrollmentTokens, agents } from '../../db/schema/agents.js';
import { assets } from '../../db/schema/inventory.js';
import {
  AGENT_TOKEN_PREFIX,
  defaultCapabilities,
  TOKEN_SECRET_LENGTH,
  type TRegisterRequest,
} from '../../domain/agent-jobs.js';
import { hashToken, randomToken } from '../../platform/secrets.js';
import { forgetAssetTokens } from './agent-token-cache.js';

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
