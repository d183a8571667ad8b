import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AssetCounts, AssetStatus, TaskStatus } from '../../domain/playbook/status.js';
import type { TAmount } from '../../domain/playbook/amounts.js';
import type { VulnerabilityToFix } from '../../activities/playbook/task-activities.js';

/** What the API passes when it starts a task's workflow; everything else is loaded from Postgres by id. */
export interface PlaybookTaskInput {
  taskId: string;
  accountId: string;
  policyId: string;
  execution: number;
}

export interface TaskProgress {
  status: TaskStatus;
  execution: number;
  paused: boolean;
  /** Outcomes of the assets of finished batches, plus the running batch's last report. */
  counts: AssetCounts;
  batchesDone: number;
  batchesTotal: number;
  stopReason: StopReason | null;
}

export interface TaskControlResult {
  status: TaskStatus;
}

/** Why a task stopped starting assets before it ran out of them. */
export type StopReason = 'errorBudget' | 'windowClosed' | 'cancelled';

export const taskProgressQuery = defineQuery<TaskProgress>('progress');
export const cancelTaskUpdate = defineUpdate<TaskControlResult>('cancel');
export const pauseTaskUpdate = defineUpdate<TaskControlResult>('pause');
export const resumeTaskUpdate = defineUpdate<TaskControlResult>('resume');
/** Operators send it from the Temporal UI or CLI (`temporal workflow signal --name cancel`). */
export const cancelTaskSignal = defineSignal('cancel');

/** The parent tells a running batch to stop or restart dispatching. */
export const batchPauseSignal = defineSignal<[boolean]>('setPaused');

/** Policy parameters an asset run needs. */
export interface AssetRunParams {
  snapshot: { enabled: boolean; retentionDays: number };
  reboot: 'never' | 'ifRequired';
  retriesPerFix: number;
  verifyAfterFix: boolean;
  heartbeatTimeoutSeconds: number;
  /** The policy's dry run: every fix only reports what it would do (absent in runs started before it existed). */
  dryRun?: boolean;
}

export interface PlaybookBatchInput {
  taskId: string;
  accountId: string;
  policyId: string;
  execution: number;
  batchIndex: number;
  offset: number;
  limit: number;
  concurrency: number;
  /** Error budget N and the failures of earlier batches: no asset starts once failures exceed N. */
  budget: number;
  failedBefore: number;
  cutoffAtMs: number | null;
  windowEndAtMs: number | null;
  windowEnd: 'continue' | 'cancel';
  paused: boolean;
  run: AssetRunParams;
}

export interface PlaybookBatchResult {
  counts: AssetCounts;
  stopReason: StopReason | null;
}

export interface FixAssetInput {
  taskId: string;
  accountId: string;
  policyId: string;
  execution: number;
  assetId: string;
  assetName: string;
  run: AssetRunParams;
  /** Set when a run continues as new: the precheck's vulnerabilities and what the earlier runs did. */
  resume?: FixAssetResume;
  /** Events after which the run continues as new (default ASSET_HISTORY_BUDGET; tests lower it). */
  historyBudget?: number;
}

export interface FixAssetResume {
  vulnerabilities: VulnerabilityToFix[];
  /** Index in `vulnerabilities` of the next one to fix. */
  next: number;
  fixed: string[];
  failed: string[];
  fixErrors: string[];
  rebootRequired: boolean;
  /** What the dry-run fixes so far would have done. */
  dryRuns?: string[];
}

export interface FixAssetResult {
  status: Extract<AssetStatus, 'Succeeded' | 'Failed' | 'Skipped' | 'Cancelled'>;
  reason: string | null;
}

export type { TAmount };
