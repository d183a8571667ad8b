import { inArray } from 'drizzle-orm';
import type { Services } from '../../platform/services.js';
import { reports } from '../../db/schema/reports.js';
import {
  deleteReportSchedule,
  REPORT_SCHEDULE_PREFIX,
  SCHEDULE_OWNER_MEMO,
  upsertReportSchedule,
  wantsSchedule,
  type ReportRow,
} from './report-schedules.js';
import { errorMessage } from '../../domain/errors.js';

export interface ReconcileResult {
  created: string[];
  updated: string[];
  /** Schedules removed because their report is gone, disabled or no longer periodic (orphans). */
  deleted: string[];
  unchanged: number;
  failed: { reportId: string; error: string }[];
}

type Deps = Pick<Services, 'db' | 'temporal' | 'taskQueues' | 'logger'>;

/**
 * Postgres is the truth, Temporal follows: every enabled periodic report has exactly its schedule, and no schedule
 * of this deployment (schedule memo names our reports task queue) lives without one. With `reportIds`, only those
 * reports are brought in step (after an API change); without, everything is (start-up, periodic repair).
 */
export async function reconcileReportSchedules(
  deps: Deps,
  opts: { reportIds?: string[] } = {},
): Promise<ReconcileResult> {
  const taskQueue = deps.taskQueues.reports;
  const result: ReconcileResult = { created: [], updated: [], deleted: [], unchanged: 0, failed: [] };
  const rows: ReportRow[] = opts.reportIds
    ? opts.reportIds.length === 0
      ? []
      : await deps.db.select().from(reports).where(inArray(reports.id, opts.reportIds))
    : await deps.db.select().from(reports);
  const desired = new Map(rows.filter(wantsSchedule).map((r) => [r.id, r]));

  const stale = new Set<string>();
  if (opts.reportIds) {
    for (const id of opts.reportIds) if (!desired.has(id)) stale.add(id);
  } else {
    for await (const s of deps.temporal.schedule.list()) {
      if (!s.scheduleId.startsWith(REPORT_SCHEDULE_PREFIX)) continue;
      if (s.memo?.[SCHEDULE_OWNER_MEMO] !== taskQueue) continue;
      const reportId = s.scheduleId.slice(REPORT_SCHEDULE_PREFIX.length);
      if (!desired.has(reportId)) stale.add(reportId);
    }
  }

  for (const report of desired.values()) {
    try {
      const change = await upsertReportSchedule(deps.temporal, report, taskQueue);
      if (change === 'created') result.created.push(report.id);
      else if (change === 'updated') result.updated.push(report.id);
      else result.unchanged += 1;
    } catch (err) {
      result.failed.push({ reportId: report.id, error: errorMessage(err) });
    }
  }
  for (const reportId of stale) {
    try {
      if (await deleteReportSchedule(deps.temporal, reportId)) result.deleted.push(reportId);
    } catch (err) {
      result.failed.push({ reportId, error: errorMessage(err) });
    }
  }
  if (result.created.length + result.updated.length + result.deleted.length + result.failed.length > 0) {
    deps.logger.info({ reconcile: result }, 'report schedules reconciled');
  }
  return result;
}
