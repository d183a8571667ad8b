import { ApplicationFailure, patched, proxyActivities } from '@temporalio/workflow';

/**
 * The background duties of a deployment. Each repairs what a crash or an outage left out of step and is idempotent,
 * so a run that repeats one (a retry, a trigger right after a scheduled run) changes nothing the second time.
 */
export interface MaintenanceActivities {
  /** Playbook task outbox: tasks whose workflow start was never acknowledged get it now. Returns how many. */
  maintenanceStartPendingTasks(): Promise<number>;
  /** Playbook tasks whose workflow was terminated, timed out or reset outside Vigil end Failed. Returns how many. */
  maintenanceReconcileTaskWorkflows(): Promise<number>;
  /** Report schedules follow the reports table (new accounts' default reports included). */
  maintenanceReconcileReportSchedules(): Promise<ReportScheduleCounts>;
  /** Member-settings revisions saved but never rolled out get their rollout. Returns how many. */
  maintenanceRepairMemberSettingsRollouts(): Promise<number>;
  /** Break-glass admissions whose notification workflow start was lost (audit row as outbox). Returns how many. */
  maintenanceStartBreakGlassNotifications(): Promise<number>;
}

export interface ReportScheduleCounts {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  failed: number;
}

/** What one maintenance run did; each run's result stays in its history, so duties can be counted from Temporal. */
export interface MaintenanceResult {
  playbookTasksStarted: number | null;
  playbookTasksEndedOutsideVigil: number | null;
  reportSchedules: ReportScheduleCounts | null;
  memberSettingsRolloutsStarted: number | null;
  /** Absent in runs started before this duty existed. */
  breakGlassNotificationsStarted?: number | null;
  /** Duties that failed after their retries (the others still ran). */
  failed: string[];
}

const duties = proxyActivities<MaintenanceActivities>({
  startToCloseTimeout: '5 minutes',
  // The next scheduled run tries again; a duty that keeps failing must not hold the run (overlap SKIP) for long.
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 4 },
});

/**
 * One pass over every background duty, started by the deployment's maintenance Schedule (overlap SKIP: one run at
 * a time however many workers there are). Duties run side by side and fail independently.
 */
export async function vigilMaintenanceWorkflow(): Promise<MaintenanceResult> {
  // Runs begun by an older build replay without the break-glass duty.
  const withBreakGlass = patched('maintenance-break-glass-outbox');
  const [tasks, endedOutside, schedules, rollouts, breakGlass] = await Promise.allSettled([
    duties.maintenanceStartPendingTasks(),
    duties.maintenanceReconcileTaskWorkflows(),
    duties.maintenanceReconcileReportSchedules(),
    duties.maintenanceRepairMemberSettingsRollouts(),
    ...(withBreakGlass ? [duties.maintenanceStartBreakGlassNotifications()] : []),
  ]);
  const failed: string[] = [];
  const value = <T>(name: string, r: PromiseSettledResult<T>): T | null => {
    if (r.status === 'fulfilled') return r.value;
    failed.push(name);
    return null;
  };
  const result: MaintenanceResult = {
    playbookTasksStarted: value('playbook task starts', tasks),
    playbookTasksEndedOutsideVigil: value('playbook workflows ended outside Vigil', endedOutside),
    reportSchedules: value('report schedules', schedules),
    memberSettingsRolloutsStarted: value('member settings rollouts', rollouts),
    ...(breakGlass ? { breakGlassNotificationsStarted: value('break-glass notifications', breakGlass) } : {}),
    failed,
  };
  if (failed.length > 0) {
    // Failed, not completed: the Temporal UI shows the run red; the details keep what the other duties did.
    throw ApplicationFailure.nonRetryable(
      `maintenance duties failed: ${failed.join(', ')}`,
      'MaintenanceFailed',
      result,
    );
  }
  return result;
}
