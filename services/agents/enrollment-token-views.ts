import { and, eq, gt } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { agentEnrollmentTokens } from '../../db/schema/agents.js';

export type EnrollmentTokenRow = typeof agentEnrollmentTokens.$inferSelect;

/** The row as audited and returned: never the token's hash. */
export function withoutHash(row: EnrollmentTokenRow): Omit<EnrollmentTokenRow, 'tokenHash'> {
  const { tokenHash: _hash, ...rest } = row;
  return rest;
}

/** One page of the account's enrollment tokens, oldest first (one more row than `limit` when there is a next page). */
export async function listEnrollmentTokens(
  db: Executor,
  opts: { accountId: string; after?: string; limit: number },
): Promise<EnrollmentTokenRow[]> {
  return db
    .select()
    .from(agentEnrollmentTokens)
    .where(
      and(
        eq(agentEnrollmentTokens.accountId, opts.accountId),
        opts.after ? gt(agentEnrollmentTokens.id, opts.after) : undefined,
      ),
    )
    .orderBy(agentEnrollmentTokens.id)
    .limit(opts.limit + 1);
}
