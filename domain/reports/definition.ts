import { SEVERITIES, type Severity } from '../findings.js';
import { isValidTimeZone } from '../time-zones.js';
import {
  CUSTOM_PERIOD_MAX_AGE_DAYS,
  MAX_MONTHLY_SEND_DAY,
  MAX_RECIPIENTS_PER_REPORT,
  MIN_SEND_WINDOW_MINUTES,
  REPORT_ITEMS,
  REPORT_LANGUAGES,
  REPORT_TYPES,
  type TReportItem,
  type TReportLanguage,
  type TReportType,
} from './rules.js';
import { sendWindowMinutes } from './schedule-spec.js';

/** A report definition as the operator writes it, before the product's rules are checked. */
export interface TReportDraft {
  type: string;
  timeZone: string;
  sendWindowStart: string;
  sendWindowEnd: string;
  language: string;
  items: readonly string[];
  recipients: readonly string[];
  period?: { start: Date; end: Date } | null;
  /** Scope: only this asset group's assets and their findings. */
  assetGroupId?: string | null;
  /** Scope: only findings of this severity or worse. */
  minSeverity?: string | null;
  /** Weekly: ISO weekday of the send, 1 = Monday … 7 = Sunday. */
  sendWeekday?: number | null;
  /** Monthly: day of month of the send, 1–31 (a day a month lacks falls on its last day). */
  sendDayOfMonth?: number | null;
  /** One section per managed member of the caller's resource directory. */
  consolidated?: boolean;
}

/** A definition that passed `checkReportRules`. */
export interface TReportDefinition extends TReportDraft {
  type: TReportType;
  language: TReportLanguage;
  items: readonly TReportItem[];
  minSeverity: Severity | null;
}

export interface TRuleViolation {
  field: string;
  message: string;
}

const isOneOf =
  <T extends string>(values: readonly T[]) =>
  (v: string): v is T =>
    (values as readonly string[]).includes(v);
const isReportType = isOneOf(REPORT_TYPES);
const isLanguage = isOneOf(REPORT_LANGUAGES);
const isItem = isOneOf(REPORT_ITEMS);
const isSeverity = isOneOf(SEVERITIES);

const DAY_MS = 86_400_000;

/** Every product rule a report definition breaks (empty when it is valid); each becomes a 422. */
export function checkReportRules(draft: TReportDraft, now: Date): TRuleViolation[] {
  const out: TRuleViolation[] = [];
  if (!isReportType(draft.type)) {
    out.push({ field: 'type', message: `type must be one of ${REPORT_TYPES.join(', ')}` });
  }
  if (!isValidTimeZone(draft.timeZone)) {
    out.push({
      field: 'timeZone',
      message: `"${draft.timeZone}" is not an IANA time zone (e.g. Asia/Shanghai)`,
    });
  }
  const minutes = sendWindowMinutes(draft.sendWindowStart, draft.sendWindowEnd);
  if (minutes === null) {
    out.push({
      field: 'sendWindowStart',
      message: 'send window start and end must be HH:MM (24-hour clock)',
    });
  } else if (minutes < MIN_SEND_WINDOW_MINUTES) {
    out.push({
      field: 'sendWindowEnd',
      message: `the send window must be at least ${MIN_SEND_WINDOW_MINUTES / 60} hours long (got ${minutes} minutes)`,
    });
  }
  if (!isLanguage(draft.language)) {
    out.push({ field: 'language', message: `language must be ${REPORT_LANGUAGES.join(' or ')}` });
  }
  if (draft.items.length === 0) out.push({ field: 'items', message: 'select at least one content item' });
  for (const item of draft.items) {
    if (!isItem(item)) {
      out.push({ field: 'items', message: `"${item}" is not a report item (${REPORT_ITEMS.join(', ')})` });
    }
  }
  if (new Set(draft.items).size !== draft.items.length) out.push({ field: 'items', message: 'items repeat' });
  if (draft.recipients.length > MAX_RECIPIENTS_PER_REPORT) {
    out.push({ field: 'recipients', message: `at most ${MAX_RECIPIENTS_PER_REPORT} recipients per report` });
  }
  out.push(...checkPeriod(draft, now), ...checkSendDay(draft), ...checkScope(draft));
  return out;
}

function checkSendDay(draft: TReportDraft): TRuleViolation[] {
  const out: TRuleViolation[] = [];
  const weekday = draft.sendWeekday ?? null;
  const day = draft.sendDayOfMonth ?? null;
  if (weekday !== null) {
    if (draft.type !== 'weekly')
      out.push({ field: 'sendWeekday', message: 'only a Weekly report takes a weekday' });
    else if (!Number.isInteger(weekday) || weekday < 1 || weekday > 7)
      out.push({ field: 'sendWeekday', message: 'the weekday is 1 (Monday) to 7 (Sunday)' });
  }
  if (day !== null) {
    if (draft.type !== 'monthly')
      out.push({ field: 'sendDayOfMonth', message: 'only a Monthly report takes a day of month' });
    else if (!Number.isInteger(day) || day < 1 || day > MAX_MONTHLY_SEND_DAY)
      out.push({ field: 'sendDayOfMonth', message: `the day of month is 1 to ${MAX_MONTHLY_SEND_DAY}` });
  }
  return out;
}

function checkScope(draft: TReportDraft): TRuleViolation[] {
  const out: TRuleViolation[] = [];
  const severity = draft.minSeverity ?? null;
  if (severity !== null && !isSeverity(severity)) {
    out.push({ field: 'minSeverity', message: `minimum severity must be one of ${SEVERITIES.join(', ')}` });
  }
  if (draft.consolidated && draft.assetGroupId) {
    out.push({
      field: 'assetGroupId',
      message: "a consolidated report covers every member's assets; an asset group belongs to one account",
    });
  }
  return out;
}

function checkPeriod(draft: TReportDraft, now: Date): TRuleViolation[] {
  const period = draft.period ?? null;
  if (draft.type !== 'custom') {
    return period
      ? [{ field: 'period', message: 'only a Custom report takes a data-collection period' }]
      : [];
  }
  if (!period) return [{ field: 'period', message: 'a Custom report needs a data-collection period' }];
  const out: TRuleViolation[] = [];
  if (period.end.getTime() <= period.start.getTime()) {
    out.push({ field: 'period', message: 'the period must end after it starts' });
  }
  const earliest = now.getTime() - CUSTOM_PERIOD_MAX_AGE_DAYS * DAY_MS;
  if (period.start.getTime() < earliest || period.end.getTime() > now.getTime()) {
    out.push({
      field: 'period',
      message: `the data-collection period must lie within the last ${CUSTOM_PERIOD_MAX_AGE_DAYS} days`,
    });
  }
  return out;
}

/** The definition when the draft keeps every rule, else the violations (each a 422 detail). */
export function validateReportDraft(
  draft: TReportDraft,
  now: Date,
): { definition: TReportDefinition; violations: [] } | { definition: null; violations: TRuleViolation[] } {
  const violations = checkReportRules(draft, now);
  const { type, language } = draft;
  const items = draft.items.filter(isItem);
  if (
    violations.length > 0 ||
    !isReportType(type) ||
    !isLanguage(language) ||
    items.length !== draft.items.length
  ) {
    return { definition: null, violations };
  }
  const severity = draft.minSeverity ?? null;
  const minSeverity = severity !== null && isSeverity(severity) ? severity : null;
  return { definition: { ...draft, type, language, items, minSeverity }, violations: [] };
}

/** E-mail addresses are compared case-insensitively and stored lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
