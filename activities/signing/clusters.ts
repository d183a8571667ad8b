import { and, eq, gt } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import type { Database, Executor } from '../../db/client.js';
import { signatureClusters } from '../../db/schema/signature.js';
import type { TWebhookFailurePolicy } from '../../domain/signature/webhook-config.js';
import { hashToken, randomToken } from '../../platform/secrets.js';
import { afterCommitNote, bumpSignatureGeneration } from './state.js';
import { SigningRuleError, type Actor } from './witnesses.js';

export type ClusterRow = typeof signatureClusters.$inferSelect;

const TOKEN_PREFIX = 'vgc_';
/** Cluster tokens: `vgc_` + 40 base62 characters (≈238 bits), URL-path safe. */
export function newClusterToken(): string {
  return `${TOKEN_PREFIX}${randomToken(40)}`;
}

/** Row fields that may be shown or audited (never the token hash). */
export const clusterSummary = (c: ClusterRow) => ({
  id: c.id,
  name: c.name,
  description: c.description,
  failurePolicy: c.failurePolicy,
  tokenPrefix: c.tokenPrefix,
});

export async function createCluster(
  db: Database,
  opts: Actor & { name: string; description: string; failurePolicy: TWebhookFailurePolicy },
): Promise<{ cluster: ClusterRow; token: string }> {
  const token = newClusterToken();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(signatureClusters)
      .values({
        accountId: opts.accountId,
        name: opts.name,
        description: opts.description,
        failurePolicy: opts.failurePolicy,
        tokenHash: hashToken(token),
        tokenPrefix: token.slice(0, 10),
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new SigningRuleError('conflict', `a cluster named "${opts.name}" exists`);
    await recordAudit(tx, {
      ...opts,
      action: 'cluster.create',
      targetType: 'cluster',
      targetId: row.id,
      after: clusterSummary(row),
    });
    return { cluster: row, token };
  });
}

/** Issues a new token; the old one stops working at once. */
export async function rotateClusterToken(
  db: Database,
  opts: Actor & { clusterId: string },
): Promise<{ cluster: ClusterRow; token: string }> {
  const token = newClusterToken();
  return afterCommitNote(
    opts.accountId,
    db.transaction(async (tx) => {
      const [row] = await tx
        .update(signatureClusters)
        .set({ tokenHash: hashToken(token), tokenPrefix: token.slice(0, 10) })
        .where(and(eq(signatureClusters.accountId, opts.accountId), eq(signatureClusters.id, opts.clusterId)))
        .returning();
      if (!row) throw new SigningRuleError('not_found', 'cluster not found');
      await bumpSignatureGeneration(tx, opts.accountId);
      await recordAudit(tx, {
        ...opts,
        action: 'cluster.rotate_token',
        targetType: 'cluster',
        targetId: row.id,
        after: clusterSummary(row),
      });
      return { cluster: row, token };
    }),
  );
}

export async function getCluster(
  db: Executor,
  opts: { accountId: string; clusterId: string },
): Promise<ClusterRow | null> {
  const [row] = await db
    .select()
    .from(signatureClusters)
    .where(and(eq(signatureClusters.accountId, opts.accountId), eq(signatureClusters.id, opts.clusterId)));
  return row ?? null;
}

export async function listClusters(db: Executor, opts: { accountId: string; after?: string; limit: number }) {
  return db
    .select()
    .from(signatureClusters)
    .where(
      and(
        eq(signatureClusters.accountId, opts.accountId),
        opts.after ? gt(signatureClusters.id, opts.after) : undefined,
      ),
    )
    .orderBy(signatureClusters.id)
    .limit(opts.limit + 1);
}
