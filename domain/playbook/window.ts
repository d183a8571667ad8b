import { EARLIEST_INSTANT_MS, LATEST_INSTANT_MS } from '../input-rules.js';
import { zonedTimeToInstant } from '../time-zone.js';
import { isValidTimeZone } from '../time-zones.js';

export interface TWindowInput {
  /** Local wall-clock time in `timeZone` (`2026-12-01T02:00`), or an instant with an offset (`…Z`, `…+08:00`). */
  start: string;
  end: string;
  timeZone: string;
}

export interface TMaintenanceWindow {
  startAt: Date;
  endAt: Date;
  /** No asset starts at or after this instant: `end − cutoffMinutes` (DESIGN §5). */
  cutoffAt: Date;
  timeZone: string;
}

export type WindowResult = { ok: true; window: TMaintenanceWindow } | { ok: false; problems: string[] };

const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

function parseInstant(value: string, zone: string): Date | null {
  const d = WITH_OFFSET.test(value) ? new Date(value) : zonedTimeToInstant(value, zone);
  // Outside 1970–9999 a timestamp column does not round-trip (years before 1 AD come back as invalid dates).
  if (!d || Number.isNaN(d.getTime())) return null;
  return d.getTime() >= EARLIEST_INSTANT_MS && d.getTime() <= LATEST_INSTANT_MS ? d : null;
}

/**
 * Validates a maintenance window: a known IANA zone, parseable times, end after start, and an end − cutoff still in
 * the future (a window that is over, or leaves no time to start an asset, is refused with a 422).
 */
export function resolveWindow(input: TWindowInput, opts: { now: Date; cutoffMinutes: number }): WindowResult {
  if (!isValidTimeZone(input.timeZone)) {
    return { ok: false, problems: [`timeZone "${input.timeZone}" is not a known IANA time zone`] };
  }
  const startAt = parseInstant(input.start, input.timeZone);
  const endAt = parseInstant(input.end, input.timeZone);
  const problems: string[] = [];
  if (!startAt)
    problems.push(`start "${input.start}" is not a date-time (YYYY-MM-DDTHH:mm, local to timeZone)`);
  if (!endAt) problems.push(`end "${input.end}" is not a date-time (YYYY-MM-DDTHH:mm, local to timeZone)`);
  if (!startAt || !endAt) return { ok: false, problems };
  const cutoffAt = new Date(endAt.getTime() - opts.cutoffMinutes * 60_000);
  if (endAt.getTime() <= startAt.getTime()) problems.push('end must be after start');
  else if (endAt.getTime() <= opts.now.getTime()) problems.push('the window is already over');
  else if (cutoffAt.getTime() <= Math.max(startAt.getTime(), opts.now.getTime())) {
    problems.push(`the window leaves no time before its cutoff (${opts.cutoffMinutes} min before end)`);
  }
  return problems.length > 0
    ? { ok: false, problems }
    : { ok: true, window: { startAt, endAt, cutoffAt, timeZone: input.timeZone } };
}

/** "02:00–04:00 Asia/Shanghai" (dates added when the window spans days or is not today in the zone). */
export function describeWindow(w: { startAt: Date; endAt: Date; timeZone: string }): string {
  const fmt = (d: Date, withDate: boolean) =>
    new Intl.DateTimeFormat('en-CA', {
      timeZone: w.timeZone,
      hourCycle: 'h23',
      ...(withDate ? { year: 'numeric', month: '2-digit', day: '2-digit' } : {}),
      hour: '2-digit',
      minute: '2-digit',
    })
      .format(d)
      .replace(',', '');
  const day = (d: Date) =>
    new Intl.DateTimeFormat('en-CA', {
      timeZone: w.timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(d);
  const sameDay = day(w.startAt) === day(w.endAt);
  return `${fmt(w.startAt, true)}–${fmt(w.endAt, !sameDay)} ${w.timeZone}`;
}
