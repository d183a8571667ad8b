/** Task statuses (DESIGN §5); the seed's Waiting and Progressing plus the states a real operator needs. */
export const TASK_STATUSES = [
  'Waiting',
  'Progressing',
  'Paused',
  'Cancelling',
  'Cancelled',
  'Succeeded',
  'PartiallyFailed',
  'Failed',
  'Expired',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const FINAL_TASK_STATUSES: readonly TaskStatus[] = [
  'Cancelled',
  'Succeeded',
  'PartiallyFailed',
  'Failed',
  'Expired',
];

/** A task in one of these still has a workflow working on it: its policy cannot be deleted. */
export const ACTIVE_TASK_STATUSES: readonly TaskStatus[] = ['Waiting', 'Progressing', 'Paused', 'Cancelling'];

export function isFinalTaskStatus(s: TaskStatus): boolean {
  return FINAL_TASK_STATUSES.includes(s);
}

/** Allowed moves; a final state leaves only through a rerun (a new execution). */
const TASK_TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  Waiting: ['Progressing', 'Paused', 'Cancelling', 'Cancelled', 'Expired'],
  Progressing: ['Paused', 'Cancelling', 'Succeeded', 'PartiallyFailed', 'Failed', 'Expired'],
  Paused: ['Progressing', 'Waiting', 'Cancelling', ...FINAL_TASK_STATUSES],
  Cancelling: ['Cancelled'],
  Cancelled: ['Progressing'],
  Succeeded: [],
  PartiallyFailed: ['Progressing'],
  Failed: ['Progressing'],
  Expired: ['Progressing'],
};

export function canTransitionTask(from: TaskStatus, to: TaskStatus): boolean {
  return from === to || TASK_TRANSITIONS[from].includes(to);
}

/** The statuses a task may be in for a move to `to` (for guarded `UPDATE … WHERE status IN (…)`). */
export function taskStatusesBefore(to: TaskStatus): TaskStatus[] {
  return TASK_STATUSES.filter((from) => canTransitionTask(from, to));
}

export const ASSET_STATUSES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Skipped', 'Cancelled'] as const;
export type AssetStatus = (typeof ASSET_STATUSES)[number];
export const FINAL_ASSET_STATUSES: readonly AssetStatus[] = ['Succeeded', 'Failed', 'Skipped', 'Cancelled'];

const ASSET_TRANSITIONS: Record<AssetStatus, readonly AssetStatus[]> = {
  Pending: ['Running', 'Skipped', 'Cancelled', 'Failed'],
  // Running → Skipped: the asset's agent cannot fix any selected vulnerability ("unsupported on this host").
  Running: ['Succeeded', 'Failed', 'Skipped', 'Cancelled'],
  Succeeded: [],
  Failed: [],
  Skipped: [],
  Cancelled: [],
};

export function canTransitionAsset(from: AssetStatus, to: AssetStatus): boolean {
  return from === to || ASSET_TRANSITIONS[from].includes(to);
}

export function assetStatusesBefore(to: AssetStatus): AssetStatus[] {
  return ASSET_STATUSES.filter((from) => canTransitionAsset(from, to));
}

/** Why an asset was skipped or cancelled without running to the end. */
export const ASSET_REASONS = {
  errorBudget: 'error budget',
  windowClosed: 'window closed',
  cancelled: 'cancelled by operator',
  agentOffline: 'agent offline',
  nothingToFix: 'no selected vulnerability is still present',
  /** Every fix only reported what it would do (agent --dry-run or the policy's dryRun); nothing was closed. */
  dryRun: 'dry run, nothing changed',
} as const;

export type AssetCounts = Record<AssetStatus, number>;

export function emptyAssetCounts(): AssetCounts {
  return { Pending: 0, Running: 0, Succeeded: 0, Failed: 0, Skipped: 0, Cancelled: 0 };
}

/**
 * The final status of an execution from its assets' outcomes: all succeeded → Succeeded; none started because the
 * window closed → Expired; some succeeded → PartiallyFailed; none → Failed. A cancel ends Cancelled regardless.
 */
export function taskOutcome(opts: {
  counts: AssetCounts;
  cancelled: boolean;
  windowClosed: boolean;
}): TaskStatus {
  const { counts } = opts;
  if (opts.cancelled) return 'Cancelled';
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (total > 0 && counts.Succeeded === total) return 'Succeeded';
  if (opts.windowClosed && counts.Succeeded === 0 && counts.Failed === 0 && counts.Cancelled === 0)
    return 'Expired';
  if (counts.Succeeded > 0) return 'PartiallyFailed';
  return total === 0 ? 'Succeeded' : 'Failed';
}

/** Units of work the seed's log counts as "processes": one per (asset, vulnerability). */
export const STEP_KINDS = ['precheck', 'snapshot', 'fix', 'verify', 'reboot'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export const STEP_STATUSES = ['running', 'succeeded', 'failed', 'cancelled', 'skipped'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** Per (asset, vulnerability) of a task. */
export const TASK_VULNERABILITY_STATUSES = [
  'pending',
  'fixing',
  'fixed',
  'failed',
  'skipped',
  'cancelled',
] as const;
export type TaskVulnerabilityStatus = (typeof TASK_VULNERABILITY_STATUSES)[number];
