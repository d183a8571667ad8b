import { and, isNotNull, sql } from 'drizzle-orm';
import { agentJobs } from '../../db/schema/agents.js';
import type { Executor } from '../../db/client.js';
import type { DeliveryDeps } from './job-delivery.js';
import type { PendingProbe } from './job-notifier.js';

/**
 * The database probe long polls share: the assets that have claimable jobs. It reads the assets of all pending jobs
 * (a partial index holds just those) rather than sending the waiting assets: with ten thousand idle agents a list of
 * their ids was the API's most expensive statement to build and send.
 */
export function pendingProbe(deps: DeliveryDeps): PendingProbe {
  return {
    pendingAssets: async () => (await pendingAssets(deps.db)).map((r) => r.assetId),
    onError: (err) => deps.logger.warn({ err }, 'agent job probe failed'),
  };
}

/**
 * The assets of all claimable pending jobs. The status is a literal in the statement's text, not a parameter: the
 * partial index `agent_jobs_pending_idx` (status = 'pending') answers it only if the planner sees the value, and a
 * generic plan (the embedded database's, db/client.ts) does not see a parameter's.
 */
export const pendingAssets = (db: Executor) =>
  db
    .selectDistinct({ assetId: agentJobs.assetId })
    .from(agentJobs)
    .where(and(sql`${agentJobs.status} = 'pending'`, isNotNull(agentJobs.taskToken)));
