import type { ActivityDeps } from '../index.js';
import { reconcileScanJob, scanCycleDays, type HostScanOutcome } from './host-scans.js';

export type { HostScanOutcome };

/** What the host scan workflows register: apply a scan job's inventory, read the account's scan cycle. */
export function createHostScanActivities(deps: ActivityDeps) {
  return {
    async hostScanReconcile(req: {
      accountId: string;
      jobId: string;
      actor: string;
    }): Promise<HostScanOutcome> {
      return reconcileScanJob(deps.db, req);
    },
    async hostScanCycleDays(req: { accountId: string }): Promise<number> {
      return scanCycleDays(deps.db, req.accountId);
    },
  };
}

export type HostScanActivities = ReturnType<typeof createHostScanActivities>;
