import { describe, expect, it } from 'vitest';
import { reportPeriod, type ReportPeriodInput, type TReportPeriod } from './period.js';
import { reportScheduleSpec } from './schedule-spec.js';
import { civilDateTime, zonedToUtc } from '../time-zone.js';

const hours = (p: { start: string; end: string }) => (Date.parse(p.end) - Date.parse(p.start)) / 3_600_000;

interface PeriodCase {
  title: string;
  input: ReportPeriodInput;
  /** The fields of the period this case checks (the others are other cases' business). */
  period: Partial<TReportPeriod>;
  hours?: number;
  previousHours?: number;
}

const CASES: PeriodCase[] = [
  {
    // 03:00 on Monday 30 Nov in Shanghai is 19:00 UTC on Sunday 29 Nov (matomo#24980's "a day late" case).
    title:
      'Daily in Asia/Shanghai is the previous Shanghai day, even when the UTC date is still the day before',
    input: { type: 'daily', timeZone: 'Asia/Shanghai', scheduledAt: new Date('2026-11-29T19:00:00Z') },
    period: {
      key: 'daily:2026-11-29',
      start: '2026-11-28T16:00:00.000Z',
      end: '2026-11-29T16:00:00.000Z',
      previousStart: '2026-11-27T16:00:00.000Z',
    },
  },
  {
    title: 'Weekly in Asia/Shanghai covers the 7 local days before the Monday it runs on',
    input: { type: 'weekly', timeZone: 'Asia/Shanghai', scheduledAt: new Date('2026-11-30T00:00:00Z') },
    period: {
      key: 'weekly:2026-11-23',
      start: '2026-11-22T16:00:00.000Z',
      end: '2026-11-29T16:00:00.000Z',
      label: '2026-11-23 – 2026-11-29',
    },
    previousHours: 168,
  },
  {
    // Sunday 8 March 2026, 02:00 EST → 03:00 EDT; the run at 08:00 EDT on Monday reports Sunday.
    title: 'Daily in America/New_York across spring forward is a 23-hour local day',
    input: { type: 'daily', timeZone: 'America/New_York', scheduledAt: new Date('2026-03-09T12:00:00Z') },
    period: { key: 'daily:2026-03-08', start: '2026-03-08T05:00:00.000Z', end: '2026-03-09T04:00:00.000Z' },
    hours: 23,
    previousHours: 24,
  },
  {
    // Sunday 1 November 2026, 02:00 EDT → 01:00 EST.
    title: 'Daily in America/New_York across fall back is a 25-hour local day',
    input: { type: 'daily', timeZone: 'America/New_York', scheduledAt: new Date('2026-11-02T13:00:00Z') },
    period: { key: 'daily:2026-11-01', start: '2026-11-01T04:00:00.000Z', end: '2026-11-02T05:00:00.000Z' },
    hours: 25,
  },
  {
    title: 'Weekly in America/New_York containing the switch is 167 hours',
    input: { type: 'weekly', timeZone: 'America/New_York', scheduledAt: new Date('2026-03-09T12:00:00Z') },
    period: { start: '2026-03-02T05:00:00.000Z' },
    hours: 167,
  },
  {
    title: 'Monthly is the previous calendar month in the zone',
    input: { type: 'monthly', timeZone: 'America/New_York', scheduledAt: new Date('2026-04-01T12:00:00Z') },
    period: {
      key: 'monthly:2026-03',
      start: '2026-03-01T05:00:00.000Z',
      end: '2026-04-01T04:00:00.000Z',
      previousStart: '2026-02-01T05:00:00.000Z',
    },
  },
  {
    title: 'Monthly in January is December of the year before, and the previous period is November',
    input: { type: 'monthly', timeZone: 'Asia/Shanghai', scheduledAt: new Date('2027-01-01T01:00:00Z') },
    period: { key: 'monthly:2026-12', previousStart: '2026-10-31T16:00:00.000Z' },
  },
  {
    title: 'Custom is its own period, and the previous period has the same length',
    input: {
      type: 'custom',
      timeZone: 'UTC',
      scheduledAt: new Date(),
      customPeriod: { start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-11-08T00:00:00Z') },
    },
    period: {
      start: '2026-11-01T00:00:00.000Z',
      previousStart: '2026-10-25T00:00:00.000Z',
      label: '2026-11-01 – 2026-11-07',
    },
  },
];

describe('report periods (DESIGN §7)', () => {
  it.each(CASES)('$title', ({ input, period, hours: length, previousHours }) => {
    const p = reportPeriod(input);
    expect(p).toMatchObject(period);
    // The previous period always ends where this one starts.
    expect(p.previousEnd).toBe(p.start);
    if (length !== undefined) expect(hours(p)).toBe(length);
    if (previousHours !== undefined)
      expect(hours({ start: p.previousStart, end: p.previousEnd })).toBe(previousHours);
  });
});

describe('zoned time', () => {
  it('resolves a skipped reading after the jump and a repeated one to its first occurrence', () => {
    expect(
      zonedToUtc({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, 'America/New_York').toISOString(),
    ).toBe('2026-03-08T07:30:00.000Z');
    expect(
      zonedToUtc({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, 'America/New_York').toISOString(),
    ).toBe('2026-11-01T05:30:00.000Z');
    expect(civilDateTime(new Date('2026-11-01T06:30:00Z'), 'America/New_York').hour).toBe(1);
  });
});

describe('report schedule spec', () => {
  it('is a calendar at the window start in the report zone with jitter inside the window', () => {
    const spec = reportScheduleSpec({
      type: 'weekly',
      timeZone: 'America/New_York',
      sendWindowStart: '08:30',
      sendWindowEnd: '11:00',
    });
    expect(spec.calendars[0]).toMatchObject({ hour: 8, minute: 30, dayOfWeek: 'MONDAY' });
    expect(spec.timeZone).toBe('America/New_York');
    expect(spec.catchupWindowMs).toBe(150 * 60_000);
    expect(spec.jitterMs).toBe(135 * 60_000);
  });

  it('handles a window that runs past midnight', () => {
    const spec = reportScheduleSpec({
      type: 'monthly',
      timeZone: 'Asia/Shanghai',
      sendWindowStart: '23:00',
      sendWindowEnd: '01:30',
    });
    expect(spec.calendars[0]).toMatchObject({ hour: 23, minute: 0, dayOfMonth: 1 });
    expect(spec.catchupWindowMs).toBe(150 * 60_000);
  });
});
