import { createHash } from 'node:crypto';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
} from '@temporalio/client';
import type { reports } from '../../db/schema/reports.js';
import {
  customSendOnceSpec,
  reportScheduleSpec,
  type TReportScheduleSpec,
} from '../../domain/reports/schedule-spec.js';
import { isPeriodicType } from '../../domain/reports/rules.js';
import { VigilAccountId, VigilReportId } from '../../workflows/search-attributes.js';
import type { TReportDeliveryInput } from '../../workflows/reports.js';

export type ReportRow = typeof reports.$inferSelect;

/** Schedule ids are `report:{reportId}` (DESIGN §7); the reconciler only looks at ids with this prefix. */
export const REPORT_SCHEDULE_PREFIX = 'report:';
export const scheduleIdFor = (reportId: string) => `${REPORT_SCHEDULE_PREFIX}${reportId}`;

/** Schedule memo key naming the task queue a schedule starts on: one deployment never touches another's schedules. */
export const SCHEDULE_OWNER_MEMO = 'vigilReportsTaskQueue';
const FINGERPRINT_MEMO = 'vigilScheduleFingerprint';

/**
 * Enabled Daily/Weekly/Monthly reports own a recurring schedule; an enabled Custom report owns a one-action
 * schedule for its next Report Time until that send went out (then only Send Now sends it).
 */
export function wantsSchedule(report: Pick<ReportRow, 'enabled' | 'type' | 'scheduledSendAt'>): boolean {
  if (!report.enabled) return false;
  return isPeriodicType(report.type) || report.scheduledSendAt === null;
}

/**
 * The spec of a report's schedule. A Custom report's one send is anchored at its last change (`updatedAt`), so the
 * reconciler computes the same window on every pass and never moves an armed send; only when that window passed
 * without the schedule existing (Temporal was down) is the next window taken instead.
 */
export function scheduleSpecOf(report: ReportRow, now: Date): TReportScheduleSpec {
  if (report.type !== 'custom') return reportScheduleSpec(report);
  const anchored = customSendOnceSpec(report, report.updatedAt);
  return anchored.at.getTime() + anchored.catchupWindowMs > now.getTime()
    ? anchored
    : customSendOnceSpec(report, now);
}

/**
 * The Temporal Schedule of a periodic report: a calendar at the window start in the report's zone
 * (`spec.timezone` — `timezoneName` is silently ignored), jitter so the send lands inside the window, a catch-up
 * window no longer than the send window, overlap SKIP, and account/report ids as search attributes (never
 * addresses: search attributes are stored unencrypted).
 */
export function reportScheduleOptions(
  report: ReportRow,
  taskQueue: string,
  now: Date = new Date(),
): ScheduleOptions {
  const spec = scheduleSpecOf(report, now);
  const input: TReportDeliveryInput = {
    accountId: report.accountId,
    reportId: report.id,
    trigger: 'schedule',
  };
  const summary = `${report.type} security report "${report.name}" — ${report.sendWindowStart}–${report.sendWindowEnd} ${report.timeZone}`;
  const desired = {
    calendars: spec.calendars,
    remainingActions: spec.remainingActions ?? null,
    timeZone: spec.timeZone,
    jitterMs: spec.jitterMs,
    catchupWindowMs: spec.catchupWindowMs,
    taskQueue,
    input,
    summary,
  };
  const fingerprint = createHash('sha256').update(JSON.stringify(desired)).digest('hex').slice(0, 32);
  const searchAttributes = [
    { key: VigilAccountId, value: report.accountId },
    { key: VigilReportId, value: report.id },
  ];
  return {
    scheduleId: scheduleIdFor(report.id),
    spec: { calendars: spec.calendars, timezone: spec.timeZone, jitter: spec.jitterMs },
    action: {
      type: 'startWorkflow',
      workflowType: 'reportDeliveryWorkflow',
      taskQueue,
      args: [input],
      workflowId: `report:${report.id}:scheduled`,
      staticSummary: summary.slice(0, 200),
      staticDetails: `Report \`${report.id}\` of account \`${report.accountId}\`: GET /v1/reports/${report.id}, deliveries at GET /v1/reports/${report.id}/deliveries.`,
      memo: { [FINGERPRINT_MEMO]: fingerprint },
      typedSearchAttributes: searchAttributes,
      workflowExecutionTimeout: spec.catchupWindowMs + 24 * 3_600_000,
    },
    policies: {
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: spec.catchupWindowMs,
      pauseOnFailure: false,
    },
    memo: { [SCHEDULE_OWNER_MEMO]: taskQueue },
    typedSearchAttributes: searchAttributes,
    state: {
      note: `managed by Vigil from report ${report.id}; edit the report, not the schedule`,
      ...(spec.remainingActions !== undefined ? { remainingActions: spec.remainingActions } : {}),
    },
  };
}

export type ScheduleChange = 'created' | 'updated' | 'unchanged';

/** Makes the report's schedule exactly the desired one: create it, or replace it when its fingerprint differs. */
export async function upsertReportSchedule(
  client: Client,
  report: ReportRow,
  taskQueue: string,
): Promise<ScheduleChange> {
  const options = reportScheduleOptions(report, taskQueue);
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(options.scheduleId);
  const current = await handle.describe();
  const fingerprint =
    current.action.type === 'startWorkflow' ? current.action.memo?.[FINGERPRINT_MEMO] : undefined;
  const paused = current.state.paused;
  const memoFingerprint = (options.action.memo ?? {})[FINGERPRINT_MEMO];
  if (fingerprint === memoFingerprint && !paused) return 'unchanged';
  // A Custom report's one send that already started is never re-armed: the run marks the report sent.
  if (report.type === 'custom' && current.info.recentActions.length > 0) return 'unchanged';
  await handle.update(() => ({
    spec: options.spec,
    action: options.action,
    policies: options.policies,
    typedSearchAttributes: options.typedSearchAttributes,
    state: { paused: false, note: options.state?.note, ...limitOf(options) },
  }));
  return 'updated';
}

/** Deletes the report's schedule; false when there was none. */
export async function deleteReportSchedule(client: Client, reportId: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(scheduleIdFor(reportId)).delete();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

function limitOf(options: ScheduleOptions): { remainingActions?: number } {
  const n = options.state?.remainingActions;
  return n === undefined ? {} : { remainingActions: n };
}
