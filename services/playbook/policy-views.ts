import { and, eq } from 'drizzle-orm';
import type { Database, Executor } from '../../db/client.js';
import { oldestFirst } from '../../db/id-pages.js';
import { playbookPolicies } from '../../db/schema/playbook.js';
import { notFound } from '../../domain/errors.js';
import type { PolicyRow } from './clone-policy.js';

/** My Policy: the account's policies in id (creation) order, `limit + 1` rows after the cursor's id. */
export async function listPolicies(
  db: Database,
  opts: { accountId: string; limit: number; after?: string },
): Promise<PolicyRow[]> {
  return oldestFirst(db, playbookPolicies, opts);
}

/**
 * The caller's policy or a 404 (another account's policy does not exist for the caller); with `lock`, locked for
 * the rest of the transaction.
 */
export async function findPolicy(
  db: Executor,
  accountId: string,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<PolicyRow> {
  const query = db
    .select()
    .from(playbookPolicies)
    .where(and(eq(playbookPolicies.accountId, accountId), eq(playbookPolicies.id, id)));
  const [row] = await (opts.lock ? query.for('update') : query);
  if (!row) throw notFound('policy');
  return row;
}
