import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { oldestFirst } from '../../db/id-pages.js';
import { signaturePolicies } from '../../db/schema/signature.js';
import { notFound } from '../../domain/errors.js';
import type { PolicyRow } from './policy-checks.js';

export type { PolicyInput, PolicyRow } from './policy-checks.js';

/** One security policy of the account; another account's is not found. */
export async function getPolicy(
  db: Executor,
  opts: { accountId: string; policyId: string },
): Promise<PolicyRow> {
  const [row] = await db
    .select()
    .from(signaturePolicies)
    .where(and(eq(signaturePolicies.accountId, opts.accountId), eq(signaturePolicies.id, opts.policyId)));
  if (!row) throw notFound('security policy');
  return row;
}

export async function listPolicies(
  db: Executor,
  opts: { accountId: string; clusterId?: string; after?: string; limit: number },
): Promise<PolicyRow[]> {
  return oldestFirst(
    db,
    signaturePolicies,
    opts,
    opts.clusterId ? eq(signaturePolicies.clusterId, opts.clusterId) : undefined,
  );
}
