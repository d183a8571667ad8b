import { z } from 'zod';
import { SEVERITIES } from './findings.js';
import { addDays, civilDate, zonedToUtc } from './time-zone.js';

/**
 * Baseline checks run through OpenSCAP (issue 16): a policy's check items name SCAP Security Guide rules and,
 * optionally, the profile they are tailored from. `profile:<id>` picks the profile (default `standard`); every other
 * item is a rule, given by its short SSG name (`file_permissions_etc_passwd`) or its full XCCDF id.
 */
export const SSG_RULE_PREFIX = 'xccdf_org.ssgproject.content_rule_';
export const SSG_PROFILE_PREFIX = 'xccdf_org.ssgproject.content_profile_';
export const DEFAULT_BASELINE_PROFILE = `${SSG_PROFILE_PREFIX}standard`;
const PROFILE_ITEM = 'profile:';

export interface TBaselineSelection {
  profile: string;
  /** Full XCCDF rule ids; empty: every rule of the profile. */
  rules: string[];
}

const fullId = (prefix: string, id: string) => (id.startsWith('xccdf_') ? id : `${prefix}${id}`);

/** The profile and rules a policy's check items select. */
export function baselineSelection(checkItems: readonly string[]): TBaselineSelection {
  let profile = DEFAULT_BASELINE_PROFILE;
  const rules: string[] = [];
  for (const raw of checkItems) {
    const item = raw.trim();
    if (item.startsWith(PROFILE_ITEM)) profile = fullId(SSG_PROFILE_PREFIX, item.slice(PROFILE_ITEM.length));
    else if (item !== '') rules.push(fullId(SSG_RULE_PREFIX, item));
  }
  return { profile, rules: [...new Set(rules)] };
}

/** XCCDF 1.2 rule results (`<rule-result><result>`). */
export const XCCDF_RESULTS = [
  'pass',
  'fail',
  'error',
  'unknown',
  'notapplicable',
  'notchecked',
  'notselected',
  'informational',
  'fixed',
] as const;

/** Longest evidence or remediation text kept per rule. */
export const MAX_BASELINE_TEXT = 8_000;

export const ZBaselineRuleResultSchema = z.object({
  ruleId: z.string().min(1).max(300),
  title: z.string().max(1_000),
  severity: z.enum(SEVERITIES),
  result: z.enum(XCCDF_RESULTS),
  /** What the check saw on the host (the OVAL items of the failing tests), one line per item. */
  evidence: z.string().max(MAX_BASELINE_TEXT),
  /** The content's shell remediation, or its description when it has none. */
  remediation: z.string().max(MAX_BASELINE_TEXT),
});
export type TBaselineRuleResult = z.infer<typeof ZBaselineRuleResultSchema>;

/** What a `baseline` job reports in `details.baseline`. */
export const ZBaselineReportSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('checked'),
    content: z.string().max(500),
    profile: z.string().max(300),
    rules: z.array(ZBaselineRuleResultSchema).max(5_000),
  }),
  /** The host cannot run the check (no oscap, no content for its OS): nothing about its risks is known. */
  z.object({ status: z.literal('unsupported'), reason: z.string().max(1_000) }),
]);
export type TBaselineReport = z.infer<typeof ZBaselineReportSchema>;

/** XCCDF severities (`high`, `medium`, `low`, `unknown`, `info`) in Vigil's scale. */
export function severityOfXccdf(s: string | null | undefined): (typeof SEVERITIES)[number] {
  switch ((s ?? '').toLowerCase()) {
    case 'high':
      return 'high';
    case 'low':
    case 'info':
      return 'low';
    default:
      return 'medium';
  }
}

/**
 * When a baseline policy runs next: at `startHour` on the wall clock of the member's `timeZone`, `cycleDays` after
 * the previous run's day (the first run at the next `startHour`). A run missed while the worker was down is due at
 * once; the one after it goes back on the grid.
 */
export function nextBaselineRun(opts: {
  cycleDays: number;
  startHour: number;
  timeZone: string;
  lastRunAt: Date | null;
  now: Date;
}): Date {
  const { startHour, timeZone, now } = opts;
  const at = (d: { year: number; month: number; day: number }) =>
    zonedToUtc({ ...d, hour: startHour, minute: 0, second: 0 }, timeZone);
  if (opts.lastRunAt === null) {
    const today = civilDate(now, timeZone);
    const candidate = at(today);
    return candidate.getTime() >= now.getTime() - 60_000 ? candidate : at(addDays(today, 1));
  }
  // The previous run counts for its day's slot, whatever hour it started (an on-demand run included).
  const due = at(addDays(civilDate(opts.lastRunAt, timeZone), opts.cycleDays));
  return due.getTime() < now.getTime() ? now : due;
}
