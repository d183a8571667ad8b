import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { oldestFirst } from '../../db/id-pages.js';
import { signatureClusters } from '../../db/schema/signature.js';
import { notFound } from '../../domain/errors.js';
import { randomToken } from '../../platform/secrets.js';

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

/** One cluster of the account; another account's is not found. */
export async function getCluster(
  db: Executor,
  opts: { accountId: string; clusterId: string },
): Promise<ClusterRow> {
  const [row] = await db
    .select()
    .from(signatureClusters)
    .where(and(eq(signatureClusters.accountId, opts.accountId), eq(signatureClusters.id, opts.clusterId)));
  if (!row) throw notFound('cluster');
  return row;
}

export async function listClusters(
  db: Executor,
  opts: { accountId: string; after?: string; limit: number },
): Promise<ClusterRow[]> {
  return oldestFirst(db, signatureClusters, opts);
}
