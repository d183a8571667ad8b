import { and, eq, isNotNull } from 'drizzle-orm';
import { agentJobs } from '../../db/schema/agents.js';
import type { DeliveryDeps } from './job-delivery.js';
import type { PendingProbe } from './job-notifier.js';

/**
 * The database probe long polls share: which of these assets have claimable jobs. It reads the assets of all pending
 * jobs (a partial index holds just those) rather than sending the waiting assets: with ten thousand idle agents a
 * list of their ids was the API's most expensive statement to build and send.
 */
export function pendingProbe(deps: DeliveryDeps): PendingProbe {
  return {
    async find(assetIds) {
      const rows = await deps.db
        .selectDistinct({ assetId: agentJobs.assetId })
        .from(agentJobs)
        .where(and(eq(agentJobs.status, 'pending'), isNotNull(agentJobs.taskToken)));
      const waiting = new Set(assetIds);
      return rows.map((r) => r.assetId).filter((a) => waiting.has(a));
    },
    onError: (err) => deps.logger.warn({ err }, 'agent job probe failed'),
  };
}
