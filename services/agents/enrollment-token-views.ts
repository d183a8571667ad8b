import { and, eq, gt } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { agentEnrollmentTokens } from '../../db/schema/agents.js';
import type { EnrollmentTokenRow } from './register-agent.js';

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
