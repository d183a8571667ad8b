import type { Services } from '../../platform/services.js';
import { reconcileReportSchedules } from './reconcile-report-schedules.js';

/**
 * Brings one report's Temporal Schedule in step right after its change is committed. If Temporal is unreachable the
 * change stands and the periodic reconciler repairs the schedule.
 */
export async function syncReportSchedule(
  deps: Pick<Services, 'db' | 'temporal' | 'taskQueues' | 'logger'>,
  reportId: string,
): Promise<void> {
  const result = await reconcileReportSchedules(deps, { reportIds: [reportId] });
  for (const f of result.failed) {
    deps.logger.warn(
      { reportId: f.reportId, error: f.error },
      'report schedule not in step; the reconciler will repair it',
    );
  }
}
