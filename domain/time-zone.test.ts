import { describe, expect, it } from 'vitest';
import {
  addDays,
  civilDateTime,
  daysInMonth,
  isoWeekday,
  parseLocalDateTime,
  zonedTimeToInstant,
  zonedToUtc,
} from './time-zone.js';

describe('time zones (maintenance windows and report periods)', () => {
  it('reads wall-clock times in the IANA zone', () => {
    expect(zonedTimeToInstant('2026-12-01T02:00', 'Asia/Shanghai')?.toISOString()).toBe(
      '2026-11-30T18:00:00.000Z',
    );
    expect(zonedTimeToInstant('2026-07-01T02:00', 'America/New_York')?.toISOString()).toBe(
      '2026-07-01T06:00:00.000Z',
    );
    expect(zonedTimeToInstant('2026-12-01T02:00', 'America/New_York')?.toISOString()).toBe(
      '2026-12-01T07:00:00.000Z',
    );
    // 02:30 does not exist on 2026-03-08 in New York (DST gap): the later instant is taken.
    expect(zonedTimeToInstant('2026-03-08T02:30', 'America/New_York')?.toISOString()).toBe(
      '2026-03-08T07:30:00.000Z',
    );
    expect(zonedTimeToInstant('2026-02-30T02:00', 'UTC')).toBeNull();
  });
  it('takes the first of two repeated readings (DST overlap)', () => {
    // 01:30 happens twice on 2026-11-01 in New York: EDT first (05:30Z), then EST (06:30Z).
    expect(zonedTimeToInstant('2026-11-01T01:30', 'America/New_York')?.toISOString()).toBe(
      '2026-11-01T05:30:00.000Z',
    );
    expect(
      zonedToUtc({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, 'America/New_York').toISOString(),
    ).toBe('2026-11-01T05:30:00.000Z');
  });
  it('reads the wall clock back', () => {
    const c = civilDateTime(new Date('2026-11-30T18:00:00Z'), 'Asia/Shanghai');
    expect(c).toEqual({ year: 2026, month: 12, day: 1, hour: 2, minute: 0, second: 0 });
  });
  it('parses local date-times and refuses impossible ones', () => {
    expect(parseLocalDateTime('2026-12-01 02:05:09')).toEqual({
      year: 2026,
      month: 12,
      day: 1,
      hour: 2,
      minute: 5,
      second: 9,
    });
    expect(parseLocalDateTime('2026-12-01T24:00')).toBeNull();
    expect(parseLocalDateTime('2026-13-01T02:00')).toBeNull();
  });
  it('knows month lengths and weekdays', () => {
    expect(daysInMonth(2028, 2)).toBe(29);
    expect(daysInMonth(2027, 2)).toBe(28);
    expect(daysInMonth(2026, 4)).toBe(30);
    expect(isoWeekday({ year: 2026, month: 12, day: 7 })).toBe(1); // a Monday
    expect(isoWeekday({ year: 2026, month: 12, day: 13 })).toBe(7);
    expect(addDays({ year: 2028, month: 2, day: 28 }, 1)).toEqual({ year: 2028, month: 2, day: 29 });
  });
});
