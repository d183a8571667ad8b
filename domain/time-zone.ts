/**
 * The one time-zone module of Vigil (maintenance windows, report periods and report schedules): civil-time
 * arithmetic in an IANA zone with nothing but Intl (usable in workflow code: no I/O, no library). A "civil date"
 * is a calendar date on the wall of that zone; instants are UTC `Date`s. A wall-clock reading skipped by a DST
 * jump resolves to the same reading after the jump; a repeated one to its first occurrence.
 */

export interface CivilDate {
  year: number;
  month: number; // 1–12
  day: number;
}

export interface CivilDateTime extends CivilDate {
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall-clock reading in `zone` at `instant`. */
export function civilDateTime(instant: Date, zone: string): CivilDateTime {
  const out: Record<string, number> = {};
  for (const p of formatterFor(zone).formatToParts(instant)) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return {
    year: out.year ?? 1970,
    month: out.month ?? 1,
    day: out.day ?? 1,
    hour: out.hour ?? 0,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

/** Offset of `zone` from UTC at `instant`, in milliseconds (e.g. +8 h for Asia/Shanghai). */
export function zoneOffsetMs(instant: Date, zone: string): number {
  const c = civilDateTime(instant, zone);
  const asUtc = Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The instant at which the wall clock of `zone` reads `local`. A reading skipped by a DST jump resolves to the
 * instant just after the jump; a repeated reading resolves to its first occurrence.
 */
export function zonedToUtc(local: CivilDate & Partial<CivilDateTime>, zone: string): Date {
  const wall = Date.UTC(
    local.year,
    local.month - 1,
    local.day,
    local.hour ?? 0,
    local.minute ?? 0,
    local.second ?? 0,
  );
  const offsetBefore = zoneOffsetMs(new Date(wall - DAY_MS), zone);
  const offsetAfter = zoneOffsetMs(new Date(wall + DAY_MS), zone);
  const candidates = [wall - offsetBefore, wall - offsetAfter].filter(
    (t) => t + zoneOffsetMs(new Date(t), zone) === wall,
  );
  if (candidates.length > 0) return new Date(Math.min(...candidates));
  // In a gap (spring forward): the same reading on the clock after the jump, as Temporal and java.time do.
  return new Date(wall - offsetBefore);
}

const DAY_MS = 86_400_000;

export function civilDate(instant: Date, zone: string): CivilDate {
  const c = civilDateTime(instant, zone);
  return { year: c.year, month: c.month, day: c.day };
}

/** `date` moved by `days` calendar days. */
export function addDays(date: CivilDate, days: number): CivilDate {
  const t = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** The first day of the month `months` away from `date`'s month. */
export function addMonths(date: CivilDate, months: number): CivilDate {
  const t = new Date(Date.UTC(date.year, date.month - 1 + months, 1));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: 1 };
}

export function formatCivilDate(d: CivilDate): string {
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

/** Start of the local day `date` in `zone`. */
export function startOfCivilDay(date: CivilDate, zone: string): Date {
  return zonedToUtc({ ...date, hour: 0, minute: 0, second: 0 }, zone);
}

/** "HH:MM" → minutes after midnight, or null when malformed. */
export function parseClockTime(value: string): number | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!m) return null;
  return Number(m[1]) * 60 + Number(m[2]);
}

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

/** "YYYY-MM-DDTHH:mm[:ss]" (or with a space) as a civil date-time, or null when malformed or not a real date. */
export function parseLocalDateTime(value: string): CivilDateTime | null {
  const m = LOCAL_DATE_TIME.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => Number(v ?? '0')) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  return { year, month, day, hour, minute, second };
}

/** The instant of a local "YYYY-MM-DDTHH:mm" in `zone`, or null when the text is not a real date-time. */
export function zonedTimeToInstant(local: string, zone: string): Date | null {
  const civil = parseLocalDateTime(local);
  return civil ? zonedToUtc(civil, zone) : null;
}

/** Days in a civil month (February of a leap year has 29). */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** ISO weekday of a civil date: 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: CivilDate): number {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
  return d === 0 ? 7 : d;
}
