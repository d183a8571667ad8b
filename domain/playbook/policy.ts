import { z } from 'zod';
import { unprocessable } from '../errors.js';
import { applyMergePatch, mergePatchSchema, type TMergePatch } from '../json-merge-patch.js';
import { PERCENT, percentOf, type TAmount } from './amounts.js';

/** Seed: "You can select up to 200 vulnerabilities to fix" (per task, across the three tabs). */
export const MAX_TASK_VULNERABILITIES = 200;

/** Seed: the Playbook fixes Linux software, Windows system and Web-CMS vulnerabilities; the other types cannot be fixed. */
export const FIXABLE_VULNERABILITY_TYPES = ['linux', 'windows', 'webcms'] as const;

export const REBOOT_OPTIONS = ['never', 'ifRequired'] as const;
export const WINDOW_END_BEHAVIOURS = ['continue', 'cancel'] as const;

/** Schema of an amount: a whole number from `min`, or a percentage from 0% (or 1% when `min` ≥ 1) to 100%. */
export function amountSchema(min: number) {
  return z.union([
    z.number().int().min(min).max(1_000_000),
    z
      .string()
      .regex(PERCENT, 'a whole percentage such as "20%"')
      .refine(
        (v) => {
          const p = percentOf(v);
          return p <= 100 && p >= Math.min(min, 1);
        },
        `a percentage from ${Math.min(min, 1)}% to 100%`,
      ),
  ]) as z.ZodType<TAmount>;
}

/** The parameters of a policy (DESIGN §5); every field has the documented default. */
export const ZPolicyParamsSchema = z.strictObject({
  maxConcurrency: amountSchema(1)
    .default(10)
    .describe(
      'How many assets are fixed at the same time: a number, or a percentage of the task’s assets (rounded down, at least 1).',
    ),
  maxErrors: amountSchema(0)
    .default(0)
    .describe(
      'Error budget: no new asset starts once more than this many assets (or this percentage, rounded down) have failed.',
    ),
  stages: z
    .array(amountSchema(1))
    .max(20)
    .default([])
    .describe('Canary stages, e.g. [1, 5, "20%"]: batch sizes run one after another, the last repeating.'),
  snapshot: z
    .strictObject({
      enabled: z.boolean().default(false),
      retentionDays: z.number().int().min(1).max(365).default(7),
    })
    .default({ enabled: false, retentionDays: 7 })
    .describe('Take a disk snapshot of each asset before fixing it, kept for retentionDays.'),
  reboot: z
    .enum(REBOOT_OPTIONS)
    .default('ifRequired')
    .describe('Reboot after fixing when a fix requires it, or never.'),
  retriesPerFix: z
    .number()
    .int()
    .min(0)
    .max(5)
    .default(1)
    .describe('Extra attempts of a failed fix on the same asset.'),
  windowEnd: z
    .enum(WINDOW_END_BEHAVIOURS)
    .default('continue')
    .describe('At the end of the window, let running assets finish (continue) or cancel them (cancel).'),
  cutoffMinutes: z
    .number()
    .int()
    .min(0)
    .max(24 * 60)
    .default(0)
    .describe('No asset starts in the last cutoffMinutes of the window.'),
  verifyAfterFix: z
    .boolean()
    .default(true)
    .describe('Run a verification scan after fixing; the vulnerability is fixed only when it passes.'),
  dryRun: z
    .boolean()
    .default(false)
    .describe(
      'Dry run: every fix only reports what it would upgrade (from which version to which); nothing is changed and every vulnerability stays open.',
    ),
  heartbeatTimeoutSeconds: z
    .number()
    .int()
    .min(2)
    .max(3600)
    .default(60)
    .describe('An agent silent for this long fails its step (dead agent); the retries then apply.'),
});
export type TPolicyParams = z.infer<typeof ZPolicyParamsSchema>;
/**
 * What PATCH (and clone) accepts: a JSON Merge Patch (RFC 7396) of the parameters — members left out keep their
 * value, `null` puts a member back to its default, `snapshot` merges member by member, `stages` is replaced whole.
 */
export const ZPolicyParamsPatchSchema = mergePatchSchema(ZPolicyParamsSchema);
export type TPolicyParamsPatch = TMergePatch<TPolicyParams>;

/**
 * A JSON Merge Patch (RFC 7396) applied to the parameters, the result validated as a whole: members removed by
 * `null` take their defaults again, and cross-field rules live in the schema. Invalid parameters are a 422.
 */
export function mergePolicyParams(base: TPolicyParams, patch: TPolicyParamsPatch | undefined): TPolicyParams {
  const merged = ZPolicyParamsSchema.safeParse(applyMergePatch(base, patch ?? {}));
  if (!merged.success) {
    throw unprocessable(
      'invalid policy parameters',
      merged.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return merged.data;
}

export const DEFAULT_POLICY_PARAMS: TPolicyParams = ZPolicyParamsSchema.parse({});

/** The Policy Center's one system template (seed: "Automatic batch vulnerability fixing"). */
export const SYSTEM_TEMPLATE = {
  id: '00000000-0000-7000-8000-000000000001',
  name: 'Automatic batch vulnerability fixing',
  type: 'vulnerability_fix',
  description:
    'Fixes the selected vulnerabilities on many servers in a maintenance window: precheck, optional snapshot, fix, ' +
    'verification scan and reboot when required, with bounded concurrency, canary stages and an exact error budget.',
  params: DEFAULT_POLICY_PARAMS,
} as const;

export type { TAmount };
