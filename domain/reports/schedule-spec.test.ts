import { describe, expect, it } from 'vitest';
import { daysInMonth, isoWeekday } from '../time-zone.js';
import { customSendOnceSpec, reportScheduleSpec, type TReportCalendar } from './schedule-spec.js';
import { checkReportRules, type TReportDraft } from './definition.js';

const MONTHS = [
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
];

/** Whether a calendar entry fires on a civil date, read as Temporal reads it (unset fields match everything). */
function fires(c: TReportCalendar, year: number, month: number, day: number): boolean {
  if (c.dayOfMonth !== undefined && c.dayOfMonth !== day) return false;
  if (c.month !== undefined) {
    const months = Array.isArray(c.month) ? c.month : [c.month];
    if (!months.includes(MONTHS[month - 1] as (typeof months)[number])) return false;
  }
  if (c.year !== undefined) {
    const ranges = typeof c.year === 'number' ? [{ start: c.year, end: c.year, step: 1 }] : c.year;
    if (!ranges.some((r) => year >= r.start && year <= r.end && (year - r.start) % r.step === 0))
      return false;
  }
  if (c.dayOfWeek !== undefined) {
    const names = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];
    if (names[isoWeekday({ year, month, day }) - 1] !== c.dayOfWeek) return false;
  }
  return true;
}

const base = { timeZone: 'Asia/Shanghai', sendWindowStart: '08:00', sendWindowEnd: '10:00' };

describe('weekday and day-of-month schedules', () => {
  it('sends a Weekly report on the chosen weekday', () => {
    const spec = reportScheduleSpec({ ...base, type: 'weekly', sendWeekday: 5 });
    expect(spec.calendars).toEqual([
      { hour: 8, minute: 0, dayOfWeek: 'FRIDAY', comment: 'weekly on Friday 08:00–10:00 Asia/Shanghai' },
    ]);
  });

  for (const day of [1, 15, 28, 29, 30, 31]) {
    it(`sends a Monthly report for day ${day} exactly once a month, on the last day when the month is shorter`, () => {
      const spec = reportScheduleSpec({ ...base, type: 'monthly', sendDayOfMonth: day });
      for (let year = 2026; year <= 2033; year++) {
        for (let month = 1; month <= 12; month++) {
          const days: number[] = [];
          for (let d = 1; d <= daysInMonth(year, month); d++) {
            if (spec.calendars.some((c) => fires(c, year, month, d))) days.push(d);
          }
          expect(days, `${year}-${month}`).toEqual([Math.min(day, daysInMonth(year, month))]);
        }
      }
    });
  }

  it('refuses a weekday on a non-Weekly report, a day 32, and a day on a Weekly report', () => {
    const draft: TReportDraft = {
      ...base,
      type: 'weekly',
      language: 'en',
      items: ['alerts'],
      recipients: [],
      sendWeekday: 8,
      sendDayOfMonth: 3,
    };
    const fields = checkReportRules(draft, new Date()).map((v) => v.field);
    expect(fields).toEqual(['sendWeekday', 'sendDayOfMonth']);
    const monthly = checkReportRules(
      { ...draft, type: 'monthly', sendWeekday: null, sendDayOfMonth: 32 },
      new Date(),
    );
    expect(monthly.map((v) => v.message)).toEqual(['the day of month is 1 to 31']);
    const daily = checkReportRules(
      { ...draft, type: 'daily', sendWeekday: 2, sendDayOfMonth: null },
      new Date(),
    );
    expect(daily.map((v) => v.field)).toEqual(['sendWeekday']);
  });

  it('refuses an unknown minimum severity', () => {
    const v = checkReportRules(
      { ...base, type: 'daily', language: 'en', items: ['alerts'], recipients: [], minSeverity: 'urgent' },
      new Date(),
    );
    expect(v.map((x) => x.field)).toEqual(['minSeverity']);
  });
});

describe('the one send of a Custom report', () => {
  const custom = { ...base, type: 'custom' as const };

  it('waits for the next window when the current one is over', () => {
    // 11:00 in Shanghai (03:00Z): today's 08:00–10:00 window is over → tomorrow 08:00.
    const spec = customSendOnceSpec(custom, new Date('2026-12-07T03:00:00Z'));
    expect(spec.calendars).toEqual([
      expect.objectContaining({ year: 2026, month: 'DECEMBER', dayOfMonth: 8, hour: 8, minute: 0 }),
    ]);
    expect(spec.at.toISOString()).toBe('2026-12-08T00:00:00.000Z');
    expect(spec.remainingActions).toBe(1);
    expect(spec.jitterMs).toBe(105 * 60_000);
    expect(spec.catchupWindowMs).toBe(120 * 60_000);
  });

  it('uses the open window from the next minute when enough of it is left', () => {
    // 08:30:20 in Shanghai: starts 08:31, jitter keeps the send before 10:00 minus the run allowance.
    const spec = customSendOnceSpec(custom, new Date('2026-12-07T00:30:20Z'));
    expect(spec.at.toISOString()).toBe('2026-12-07T00:31:00.000Z');
    expect(spec.calendars[0]).toMatchObject({ dayOfMonth: 7, hour: 8, minute: 31 });
    expect(spec.jitterMs).toBe((89 - 15) * 60_000);
  });

  it('skips an open window with less than the run allowance left', () => {
    const spec = customSendOnceSpec(custom, new Date('2026-12-07T01:50:00Z')); // 09:50
    expect(spec.at.toISOString()).toBe('2026-12-08T00:00:00.000Z');
  });

  it('finds a window that runs past midnight from the day before', () => {
    // Window 23:00–02:00; at 00:30 local the window opened yesterday is still open.
    const spec = customSendOnceSpec(
      { ...custom, sendWindowStart: '23:00', sendWindowEnd: '02:00' },
      new Date('2026-12-06T16:30:00Z'),
    );
    expect(spec.at.toISOString()).toBe('2026-12-06T16:31:00.000Z');
    expect(spec.calendars[0]).toMatchObject({ dayOfMonth: 7, hour: 0, minute: 31 });
  });
});
