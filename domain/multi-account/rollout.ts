/** Deterministic id of a settings rollout (DESIGN §3.4): `member-settings:{memberId}:{revision}`. */
export function memberSettingsWorkflowId(memberId: string, revision: number): string {
  return `member-settings:${memberId}:${revision}`;
}

/** Agent-job group of a member's configure jobs. */
export const memberSettingsJobGroup = (memberId: string) => `member-settings:${memberId}`;

/** Agents configured in one pass of the rollout (keeps each activity's payload small). */
export const ROLLOUT_BATCH_SIZE = 250;
/** Configure jobs in flight at once per rollout. */
export const ROLLOUT_CONCURRENCY = 100;
/** Waiting for offline or failed agents: first retry after this, doubling up to the maximum. */
export const ROLLOUT_RETRY_INITIAL_MS = 1_000;
export const ROLLOUT_RETRY_MAX_MS = 60_000;
/** Once every agent is on the revision, the rollout keeps watching for new or returning agents this often. */
export const ROLLOUT_WATCH_INTERVAL_MS = 5 * 60_000;
/** Continue-as-new well before Temporal's 4,096-event suggestion so that one pass always fits. */
export const ROLLOUT_HISTORY_BUDGET = 2_500;

export type RolloutStatus = 'none' | 'in-progress' | 'converged';

export function rolloutStatus(p: { revision: number | null; driftCount: number }): RolloutStatus {
  if (p.revision === null) return 'none';
  return p.driftCount === 0 ? 'converged' : 'in-progress';
}

export function nextRetryDelay(previousMs: number | null): number {
  return previousMs === null ? ROLLOUT_RETRY_INITIAL_MS : Math.min(ROLLOUT_RETRY_MAX_MS, previousMs * 2);
}
