import type { TReportType } from './rules.js';
import {
  addDays,
  addMonths,
  civilDate,
  formatCivilDate,
  startOfCivilDay,
  type CivilDate,
} from '../time-zone.js';

/** A half-open interval [start, end) of statistics, with the same-length interval before it for deltas. */
export interface TReportPeriod {
  /** Stable name of the period: part of the delivery ledger key and of workflow ids. */
  key: string;
  start: string;
  end: string;
  previousStart: string;
  previousEnd: string;
  /** Human label in the report's zone, e.g. `2026-03-08` or `2026-03-02 – 2026-03-08`. */
  label: string;
  timeZone: string;
}

export interface ReportPeriodInput {
  type: TReportType;
  timeZone: string;
  /** When the run was scheduled (the schedule's nominal time, or the Send Now request time). */
  scheduledAt: Date;
  /** Custom reports only: their data-collection period. */
  customPeriod?: { start: Date; end: Date } | null;
}

/**
 * The statistics period of a run (DESIGN §7): Daily = the previous local day, Weekly = the previous 7 local days,
 * Monthly = the previous calendar month, Custom = its own period. Days are local to the report's zone, so a DST
 * day has 23 or 25 hours, and a run at 03:00 in Asia/Shanghai reports the Shanghai day before, not the UTC one.
 */
export function reportPeriod(input: ReportPeriodInput): TReportPeriod {
  const zone = input.timeZone;
  const today = civilDate(input.scheduledAt, zone);
  const span = (from: CivilDate, to: CivilDate) => ({
    start: startOfCivilDay(from, zone),
    end: startOfCivilDay(to, zone),
  });
  switch (input.type) {
    case 'daily': {
      const day = addDays(today, -1);
      const cur = span(day, today);
      const prev = span(addDays(day, -1), day);
      return build(`daily:${formatCivilDate(day)}`, cur, prev, formatCivilDate(day), zone);
    }
    case 'weekly': {
      const first = addDays(today, -7);
      const cur = span(first, today);
      const prev = span(addDays(first, -7), first);
      const label = `${formatCivilDate(first)} – ${formatCivilDate(addDays(today, -1))}`;
      return build(`weekly:${formatCivilDate(first)}`, cur, prev, label, zone);
    }
    case 'monthly': {
      const thisMonth = addMonths(today, 0);
      const lastMonth = addMonths(today, -1);
      const cur = span(lastMonth, thisMonth);
      const prev = span(addMonths(today, -2), lastMonth);
      const label = formatCivilDate(lastMonth).slice(0, 7);
      return build(`monthly:${label}`, cur, prev, label, zone);
    }
    case 'custom': {
      if (!input.customPeriod) throw new Error('a Custom report needs its data-collection period');
      const { start, end } = input.customPeriod;
      const length = end.getTime() - start.getTime();
      const cur = { start, end };
      const prev = { start: new Date(start.getTime() - length), end: start };
      const label = `${formatCivilDate(civilDate(start, zone))} – ${formatCivilDate(civilDate(new Date(end.getTime() - 1), zone))}`;
      return build(`custom:${start.toISOString()}/${end.toISOString()}`, cur, prev, label, zone);
    }
  }
}

function build(
  key: string,
  cur: { start: Date; end: Date },
  prev: { start: Date; end: Date },
  label: string,
  timeZone: string,
): TReportPeriod {
  return {
    key,
    start: cur.start.toISOString(),
    end: cur.end.toISOString(),
    previousStart: prev.start.toISOString(),
    previousEnd: prev.end.toISOString(),
    label,
    timeZone,
  };
}
