import { and, eq, gt } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { playbookPolicies } from '../../db/schema/playbook.js';
import { notFound } from '../../domain/errors.js';
import type { PolicyRow } from './clone-policy.js';

/** My Policy: the account's policies in id (creation) order, `limit + 1` rows after the cursor's id. */
export async function listPolicies(
  db: Database,
  opts: { accountId: string; limit: number; after?: string },
): Promise<PolicyRow[]> {
  return db
    .select()
    .from(playbookPolicies)
    .where(
      and(
        eq(playbookPolicies.accountId, opts.accountId),
        opts.after ? gt(playbookPolicies.id, opts.after) : undefined,
      ),
    )
    .orderBy(playbookPolicies.id)
    .limit(opts.limit + 1);
}

/** The caller's policy or a 404 (another account's policy does not exist for the caller). */
export async function findPolicy(db: Database, accountId: string, id: string): Promise<PolicyRow> {
  const [row] = await db
    .select()
    .from(playbookPolicies)
    .where(and(eq(playbookPolicies.accountId, accountId), eq(playbookPolicies.id, id)));
  if (!row) throw notFound('policy');
  return row;
}
