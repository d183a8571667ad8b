/** The product's rules for security reports (manual, "Create a security report"; DESIGN §7). */
import { SEVERITIES, type Severity } from '../findings.js';

/** Manual: "In addition to the existing default security report, you can create up to nine security reports." */
export const MAX_CUSTOM_REPORTS_PER_ACCOUNT = 9;

/** Manual: "The Report Type parameter of the default security report is set to Daily. You cannot modify [it]." */
export const DEFAULT_REPORT_TYPE = 'daily' as const;

/** Manual: "The interval between the start time and the end time must be greater than or equal to 2 hours." */
export const MIN_SEND_WINDOW_MINUTES = 120;

/** Manual: Data Collection Period — "You can set this parameter to a time range within last 30 days." */
export const CUSTOM_PERIOD_MAX_AGE_DAYS = 30;

/** Manual: Report Type — Daily, Weekly, Monthly, Custom. */
export const REPORT_TYPES = ['daily', 'weekly', 'monthly', 'custom'] as const;
export type TReportType = (typeof REPORT_TYPES)[number];

/** Types that recur on a Temporal Schedule; Custom is sent once in its Report Time, then by Send Now (Custom-only). */
export const PERIODIC_REPORT_TYPES = ['daily', 'weekly', 'monthly'] as const satisfies readonly TReportType[];

/** Manual: Language — Simplified Chinese and English. */
export const REPORT_LANGUAGES = ['zh-CN', 'en'] as const;
export type TReportLanguage = (typeof REPORT_LANGUAGES)[number];

/** Manual: "The items include Issue Resolved, Assets, Alerts, Vulnerabilities, Baseline check, and Attack." */
export const REPORT_ITEMS = [
  'issueResolved',
  'assets',
  'alerts',
  'vulnerabilities',
  'baselineCheck',
  'attack',
] as const;
export type TReportItem = (typeof REPORT_ITEMS)[number];

/** Weekly reports go out on Monday unless the report names another weekday, and cover the 7 local days before. */
export const DEFAULT_WEEKLY_SEND_WEEKDAY = 1;

/** ISO weekdays (1 = Monday … 7 = Sunday) as Temporal calendar specs name them. */
export const WEEKDAY_NAMES = [
  'MONDAY',
  'TUESDAY',
  'WEDNESDAY',
  'THURSDAY',
  'FRIDAY',
  'SATURDAY',
  'SUNDAY',
] as const;

/**
 * Monthly reports go out on the 1st unless the report names another day (1–31) and cover the previous calendar
 * month. A day a month lacks (29–31) falls on that month's last day, so every month has exactly one report.
 */
export const DEFAULT_MONTHLY_SEND_DAY = 1;
export const MAX_MONTHLY_SEND_DAY = 31;

/** Manual (Custom report): sent once "within the time range that you specified for the Report Time". */
export const CUSTOM_SCHEDULED_SENDS = 1;

/** Time kept free at the end of the send window for gathering, rendering and sending (jitter = window − this). */
export const SEND_RUN_ALLOWANCE_MINUTES = 15;

/** How long a recipient's verification link stays valid. */
export const RECIPIENT_VERIFICATION_TTL_HOURS = 72;

/** Unsubscribe links in old mails keep working for this long. */
export const UNSUBSCRIBE_LINK_TTL_DAYS = 400;

/** Recipients per report; the manual sets no number, this keeps a report from becoming a mailing list. */
export const MAX_RECIPIENTS_PER_REPORT = 50;

/** Defaults of the report every account gets (manual: "the existing default security report"). */
export const DEFAULT_REPORT = {
  name: 'Default security report',
  type: DEFAULT_REPORT_TYPE,
  sendWindowStart: '08:00',
  sendWindowEnd: '10:00',
  language: 'en',
  items: REPORT_ITEMS,
} as const;

export function isPeriodicType(type: TReportType): type is (typeof PERIODIC_REPORT_TYPES)[number] {
  return type !== 'custom';
}

/** A report scoped to a minimum severity counts that severity and every worse one. */
export function severitiesAtLeast(min: Severity): Severity[] {
  return SEVERITIES.slice(0, SEVERITIES.indexOf(min) + 1);
}
