import {
  deleteStaleFindings,
  type StaleFindingsOutcome,
} from '../../services/inventory/delete-stale-findings.js';
import { hostScanPlan, type HostScanPlan } from '../../services/inventory/host-scan-plan.js';
import { baselinePlan, type BaselinePlan } from '../../services/inventory/baseline-plan.js';
import {
  recordBaselineCheck,
  type BaselineCheckOutcome,
} from '../../services/inventory/record-baseline-check.js';
import type { ActivityDeps } from '../index.js';
import {
  reconcileScanJob,
  scanCycleDays,
  type HostScanOutcome,
} from '../../services/inventory/host-scans.js';

export type { BaselineCheckOutcome, BaselinePlan, HostScanOutcome, HostScanPlan, StaleFindingsOutcome };

/**
 * What the host workflows register: apply a scan job's inventory, plan scans and baseline checks from the
 * account's effective settings, apply a baseline job, delete findings not seen again for `deleteAfterDays`.
 */
export function createHostScanActivities(deps: ActivityDeps) {
  return {
    async hostScanReconcile(req: {
      accountId: string;
      jobId: string;
      actor: string;
    }): Promise<HostScanOutcome> {
      return reconcileScanJob(deps.db, req);
    },
    /** Kept for histories recorded before `hostScanPlan`. */
    async hostScanCycleDays(req: { accountId: string }): Promise<number> {
      return scanCycleDays(deps.db, req.accountId);
    },
    async hostScanPlan(req: { accountId: string; assetId: string }): Promise<HostScanPlan> {
      return hostScanPlan(deps.db, req);
    },
    async baselinePlan(req: {
      accountId: string;
      assetId: string;
      now: number;
      since?: number;
    }): Promise<BaselinePlan> {
      return baselinePlan(deps.db, {
        ...req,
        now: new Date(req.now),
        since: req.since === undefined ? undefined : new Date(req.since),
      });
    },
    async recordBaselineCheck(req: {
      accountId: string;
      jobId: string;
      policyName: string;
      actor: string;
      now: number;
    }): Promise<BaselineCheckOutcome> {
      return recordBaselineCheck(deps.db, { ...req, now: new Date(req.now) });
    },
    async deleteStaleFindings(req: {
      accountId: string;
      now: number;
      actor: string;
    }): Promise<StaleFindingsOutcome> {
      return deleteStaleFindings(deps.db, { ...req, now: new Date(req.now) });
    },
  };
}

export type HostScanActivities = ReturnType<typeof createHostScanActivities>;
