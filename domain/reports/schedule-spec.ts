import {
  CUSTOM_SCHEDULED_SENDS,
  DEFAULT_MONTHLY_SEND_DAY,
  DEFAULT_WEEKLY_SEND_WEEKDAY,
  isPeriodicType,
  SEND_RUN_ALLOWANCE_MINUTES,
  WEEKDAY_NAMES,
  type TReportType,
} from './rules.js';
import { addDays, civilDate, civilDateTime, parseClockTime, zonedToUtc } from '../time-zone.js';

const MONTH_NAMES = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
] as const;
type TMonthName = (typeof MONTH_NAMES)[number];
type TWeekdayName = (typeof WEEKDAY_NAMES)[number];

/** A Temporal calendar entry, written with the SDK's field names but without its types (domain has no I/O). */
export interface TReportCalendar {
  hour: number;
  minute: number;
  dayOfWeek?: TWeekdayName;
  dayOfMonth?: number;
  month?: TMonthName | TMonthName[];
  year?: number | { start: number; end: number; step: number }[];
  comment: string;
}

/** What a report's Temporal Schedule looks like, independent of the SDK's types. */
export interface TReportScheduleSpec {
  calendars: TReportCalendar[];
  /** IANA zone the calendars are read in (Temporal's `spec.timezone`, never `timezoneName`). */
  timeZone: string;
  /** Random delay after the window start, so the mail lands inside the window (window − run allowance). */
  jitterMs: number;
  /** A run missed by an outage is still started if the server recovers within the window; later, it is skipped. */
  catchupWindowMs: number;
  /** Custom reports: the schedule takes exactly this many actions, then stays idle. */
  remainingActions?: number;
}

/** Window length in minutes; a window whose end is before its start runs past midnight. */
export function sendWindowMinutes(start: string, end: string): number | null {
  const s = parseClockTime(start);
  const e = parseClockTime(end);
  if (s === null || e === null) return null;
  return (e - s + 24 * 60) % (24 * 60);
}

/** Years not divisible by 4 up to 2099 (2100 is the next exception to the 4-year rule), as calendar ranges. */
const COMMON_YEARS = [1, 2, 3].map((r) => ({ start: 2024 + r, end: 2099, step: 4 }));
const MONTHS_OF_30_DAYS: TMonthName[] = ['APRIL', 'JUNE', 'SEPTEMBER', 'NOVEMBER'];

/**
 * The calendars of a monthly send on `day`: the day itself in every month that has it, and the last day of each
 * month that does not (30 April for the 31st, 28 or 29 February for the 29th–31st): one send per month, always.
 */
export function monthlyCalendars(day: number, hour: number, minute: number, at: string): TReportCalendar[] {
  const comment = `monthly on day ${day} (or the month's last day) ${at}`;
  const base = { hour, minute, comment };
  if (day <= 28) return [{ ...base, dayOfMonth: day, comment: `monthly on day ${day} ${at}` }];
  const out: TReportCalendar[] = [{ ...base, dayOfMonth: day }];
  if (day === 31) out.push({ ...base, dayOfMonth: 30, month: MONTHS_OF_30_DAYS });
  // February: the 29th exists in leap years only (then it is the last day); otherwise the 28th is.
  if (day >= 30) out.push({ ...base, dayOfMonth: 29, month: 'FEBRUARY' });
  out.push({ ...base, dayOfMonth: 28, month: 'FEBRUARY', year: COMMON_YEARS });
  return out;
}

export interface TScheduledReport {
  type: TReportType;
  timeZone: string;
  sendWindowStart: string;
  sendWindowEnd: string;
  sendWeekday?: number | null;
  sendDayOfMonth?: number | null;
}

function windowOf(report: TScheduledReport): { hour: number; minute: number; windowMs: number; at: string } {
  const start = parseClockTime(report.sendWindowStart);
  const windowMinutes = sendWindowMinutes(report.sendWindowStart, report.sendWindowEnd);
  if (start === null || windowMinutes === null) throw new Error('send window times must be HH:MM');
  return {
    hour: Math.floor(start / 60),
    minute: start % 60,
    windowMs: windowMinutes * 60_000,
    at: `${report.sendWindowStart}–${report.sendWindowEnd} ${report.timeZone}`,
  };
}

const ALLOWANCE_MS = SEND_RUN_ALLOWANCE_MINUTES * 60_000;

/** The schedule of a Daily/Weekly/Monthly report: calendars at the window start in the report's zone. */
export function reportScheduleSpec(report: TScheduledReport): TReportScheduleSpec {
  if (!isPeriodicType(report.type)) throw new Error('only Daily, Weekly and Monthly reports recur');
  const { hour, minute, windowMs, at } = windowOf(report);
  let calendars: TReportCalendar[];
  if (report.type === 'daily') calendars = [{ hour, minute, comment: `daily ${at}` }];
  else if (report.type === 'weekly') {
    const weekday = WEEKDAY_NAMES[(report.sendWeekday ?? DEFAULT_WEEKLY_SEND_WEEKDAY) - 1] ?? 'MONDAY';
    const name = weekday.charAt(0) + weekday.slice(1).toLowerCase();
    calendars = [{ hour, minute, dayOfWeek: weekday, comment: `weekly on ${name} ${at}` }];
  } else {
    calendars = monthlyCalendars(report.sendDayOfMonth ?? DEFAULT_MONTHLY_SEND_DAY, hour, minute, at);
  }
  return {
    calendars,
    timeZone: report.timeZone,
    jitterMs: Math.max(0, windowMs - ALLOWANCE_MS),
    catchupWindowMs: windowMs,
  };
}

/**
 * The one send of a Custom report (manual: sent "within the time range that you specified for the Report Time"):
 * the next send window that still leaves time to gather, render and send — the current one if it is open with at
 * least the run allowance left (starting at the next minute), else the next day's. One calendar entry pinned to
 * that date, jitter over the rest of the window, and a single action.
 */
export function customSendOnceSpec(report: TScheduledReport, now: Date): TReportScheduleSpec & { at: Date } {
  if (report.type !== 'custom') throw new Error('only a Custom report is sent once in its Report Time');
  const { hour, minute, windowMs, at } = windowOf(report);
  const zone = report.timeZone;
  const today = civilDate(now, zone);
  const nextMinute = new Date(Math.ceil((now.getTime() + 1) / 60_000) * 60_000);
  let best: { start: Date; end: Date } | null = null;
  // Yesterday's window may run past midnight into today; tomorrow's is always in the future.
  for (const offset of [-1, 0, 1]) {
    const day = addDays(today, offset);
    const windowStart = zonedToUtc({ ...day, hour, minute, second: 0 }, zone);
    const windowEnd = new Date(windowStart.getTime() + windowMs);
    const start = windowStart.getTime() >= nextMinute.getTime() ? windowStart : nextMinute;
    if (windowEnd.getTime() - start.getTime() <= ALLOWANCE_MS) continue;
    if (!best || start.getTime() < best.start.getTime()) best = { start, end: windowEnd };
  }
  if (!best) throw new Error('no send window found in three days');
  const c = civilDateTime(best.start, zone);
  const remainingMs = best.end.getTime() - best.start.getTime();
  return {
    calendars: [
      {
        year: c.year,
        month: MONTH_NAMES[c.month - 1] ?? 'JANUARY',
        dayOfMonth: c.day,
        hour: c.hour,
        minute: c.minute,
        comment: `custom report, once in its Report Time ${at}`,
      },
    ],
    timeZone: zone,
    jitterMs: Math.max(0, remainingMs - ALLOWANCE_MS),
    catchupWindowMs: remainingMs,
    remainingActions: CUSTOM_SCHEDULED_SENDS,
    at: best.start,
  };
}
