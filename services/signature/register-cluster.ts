import { recordAudit } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import { signatureClusters } from '../../db/schema/signature.js';
import { conflict } from '../../domain/errors.js';
import type { TWebhookFailurePolicy } from '../../domain/signature/webhook-config.js';
import { hashToken } from '../../platform/secrets.js';
import type { Actor } from './actor.js';
import { clusterSummary, newClusterToken, type ClusterRow } from './cluster-views.js';

/** Registers a Kubernetes cluster; its admission token is returned once and stored hashed. */
export async function registerCluster(
  db: Database,
  actor: Actor,
  opts: { name: string; description: string; failurePolicy: TWebhookFailurePolicy },
): Promise<{ cluster: ClusterRow; token: string }> {
  const token = newClusterToken();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(signatureClusters)
      .values({
        accountId: actor.accountId,
        name: opts.name,
        description: opts.description,
        failurePolicy: opts.failurePolicy,
        tokenHash: hashToken(token),
        tokenPrefix: token.slice(0, 10),
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw conflict(`a cluster named "${opts.name}" exists`);
    await recordAudit(tx, {
      ...actor,
      action: 'cluster.create',
      targetType: 'cluster',
      targetId: row.id,
      after: clusterSummary(row),
    });
    return { cluster: row, token };
  });
}
