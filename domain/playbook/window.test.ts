import { describe, expect, it } from 'vitest';
import { describeWindow, resolveWindow } from './window.js';

const now = new Date('2026-11-29T00:00:00Z');

describe('maintenance window', () => {
  it('resolves start, end and cutoff', () => {
    const r = resolveWindow(
      { start: '2026-12-01T02:00', end: '2026-12-01T04:00', timeZone: 'Asia/Shanghai' },
      { now, cutoffMinutes: 30 },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.window.cutoffAt.toISOString()).toBe('2026-11-30T19:30:00.000Z');
    expect(describeWindow(r.window)).toBe('2026-12-01 02:00–04:00 Asia/Shanghai');
  });
  it('refuses a start a timestamp column cannot hold (1 BC in Postgres), found by fuzzing', () => {
    const r = resolveWindow(
      { start: '0001-01-01T00:00:00+14:00', end: '2026-12-01T04:00', timeZone: 'UTC' },
      { now, cutoffMinutes: 0 },
    );
    expect(r.ok).toBe(false);
  });
  it('accepts instants with an offset', () => {
    const r = resolveWindow(
      { start: '2026-11-29T00:00:05Z', end: '2026-11-29T01:00:00+00:00', timeZone: 'UTC' },
      { now, cutoffMinutes: 0 },
    );
    expect(r.ok && r.window.startAt.toISOString()).toBe('2026-11-29T00:00:05.000Z');
  });
  it('refuses an unknown zone, an inverted window, a window that is over, and one with no time before its cutoff', () => {
    const bad = (start: string, end: string, timeZone = 'UTC', cutoffMinutes = 0) => {
      const r = resolveWindow({ start, end, timeZone }, { now, cutoffMinutes });
      return r.ok ? [] : r.problems;
    };
    expect(bad('2026-12-01T02:00', '2026-12-01T04:00', 'Mars/Olympus')[0]).toMatch(/time zone/);
    expect(bad('2026-12-01T04:00', '2026-12-01T02:00')[0]).toMatch(/after start/);
    expect(bad('2026-11-28T02:00', '2026-11-28T04:00')[0]).toMatch(/over/);
    expect(bad('2026-12-01T02:00', '2026-12-01T03:00', 'UTC', 60)[0]).toMatch(/cutoff/);
    expect(bad('yesterday', '2026-12-01T03:00')[0]).toMatch(/not a date-time/);
  });
});
