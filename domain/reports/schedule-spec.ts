import {
  isPeriodicType,
  MONTHLY_SEND_DAY_OF_MONTH,
  SEND_RUN_ALLOWANCE_MINUTES,
  WEEKLY_SEND_DAY,
  type TReportType,
} from './rules.js';
import { parseClockTime } from './zoned-time.js';

/** What a periodic report's Temporal Schedule looks like, independent of the SDK's types. */
export interface TReportScheduleSpec {
  calendar: {
    hour: number;
    minute: number;
    dayOfWeek?: typeof WEEKLY_SEND_DAY;
    dayOfMonth?: number;
    comment: string;
  };
  /** IANA zone the calendar is read in (Temporal's `spec.timezone`, never `timezoneName`). */
  timeZone: string;
  /** Random delay after the window start, so the mail lands inside the window (window − run allowance). */
  jitterMs: number;
  /** A run missed by an outage is still started if the server recovers within the window; later, it is skipped. */
  catchupWindowMs: number;
}

/** Window length in minutes; a window whose end is before its start runs past midnight. */
export function sendWindowMinutes(start: string, end: string): number | null {
  const s = parseClockTime(start);
  const e = parseClockTime(end);
  if (s === null || e === null) return null;
  return (e - s + 24 * 60) % (24 * 60);
}

/** The schedule of a Daily/Weekly/Monthly report: a calendar at the window start in the report's zone. */
export function reportScheduleSpec(report: {
  type: TReportType;
  timeZone: string;
  sendWindowStart: string;
  sendWindowEnd: string;
}): TReportScheduleSpec {
  if (!isPeriodicType(report.type)) throw new Error('only Daily, Weekly and Monthly reports have a schedule');
  const start = parseClockTime(report.sendWindowStart);
  const windowMinutes = sendWindowMinutes(report.sendWindowStart, report.sendWindowEnd);
  if (start === null || windowMinutes === null) throw new Error('send window times must be HH:MM');
  const hour = Math.floor(start / 60);
  const minute = start % 60;
  const at = `${report.sendWindowStart}–${report.sendWindowEnd} ${report.timeZone}`;
  const calendar =
    report.type === 'daily'
      ? { hour, minute, comment: `daily ${at}` }
      : report.type === 'weekly'
        ? { hour, minute, dayOfWeek: WEEKLY_SEND_DAY, comment: `weekly on Monday ${at}` }
        : { hour, minute, dayOfMonth: MONTHLY_SEND_DAY_OF_MONTH, comment: `monthly on the 1st ${at}` };
  const windowMs = windowMinutes * 60_000;
  return {
    calendar,
    timeZone: report.timeZone,
    jitterMs: Math.max(0, windowMs - SEND_RUN_ALLOWANCE_MINUTES * 60_000),
    catchupWindowMs: windowMs,
  };
}
