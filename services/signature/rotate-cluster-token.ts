import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { signatureClusters } from '../../db/schema/signature.js';
import { notFound } from '../../domain/errors.js';
import { hashToken } from '../../platform/secrets.js';
import type { Actor } from './actor.js';
import { clusterSummary, newClusterToken, type ClusterRow } from './cluster-views.js';
import { afterCommitNote, recordSignatureChange } from './signature-state.js';

/** Issues a new admission token; the old one stops working at once (every replica drops its cached token). */
export async function rotateClusterToken(
  db: Database,
  actor: Actor,
  opts: { clusterId: string },
): Promise<{ cluster: ClusterRow; token: string }> {
  const token = newClusterToken();
  return afterCommitNote(
    actor.accountId,
    db.transaction(async (tx) => {
      const [row] = await tx
        .update(signatureClusters)
        .set({ tokenHash: hashToken(token), tokenPrefix: token.slice(0, 10) })
        .where(
          and(eq(signatureClusters.accountId, actor.accountId), eq(signatureClusters.id, opts.clusterId)),
        )
        .returning();
      if (!row) throw notFound('cluster');
      await recordSignatureChange(tx, actor, {
        action: 'cluster.rotate_token',
        targetType: 'cluster',
        targetId: row.id,
        after: clusterSummary(row),
      });
      return { cluster: row, token };
    }),
  );
}
