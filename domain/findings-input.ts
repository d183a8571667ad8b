import { z } from 'zod';
import { ALERT_STATUSES, SEVERITIES, VULNERABILITY_TYPES } from './findings.js';
import { displayName, instant } from './input-rules.js';

/** One ingestion request carries at most this many findings. */
export const MAX_FINDINGS_PER_INGEST = 10_000;

const isoDate = instant();
const cve = z.string().regex(/^CVE-\d{4}-\d{4,}$/, 'must look like CVE-2024-6387');

export const ZVulnerabilityInputSchema = z.strictObject({
  assetId: z.uuid(),
  type: z.enum(VULNERABILITY_TYPES),
  name: displayName(200),
  title: z.string().trim().min(1).max(500),
  cveIds: z.array(cve).max(100).default([]),
  severity: z.enum(SEVERITIES),
  fixable: z.boolean().default(false),
  packageName: z.string().trim().min(1).max(200).optional(),
  installedVersion: z.string().trim().max(200).optional(),
  fixedVersion: z.string().trim().max(200).optional(),
  kbId: z
    .string()
    .regex(/^KB\d{4,}$/, 'must look like KB5034441')
    .optional(),
  cmsComponent: z.string().trim().min(1).max(200).optional(),
  /** A scan that finds the vulnerability gone reports it `fixed`. */
  status: z.enum(['open', 'fixed']).default('open'),
  scannedAt: isoDate.optional(),
});
export type TVulnerabilityInput = z.infer<typeof ZVulnerabilityInputSchema>;

export const ZAlertInputSchema = z.strictObject({
  externalId: z.string().trim().min(1).max(200),
  assetId: z.uuid().optional(),
  name: displayName(500),
  type: z.string().trim().min(1).max(100).default('generic'),
  severity: z.enum(SEVERITIES),
  status: z.enum(ALERT_STATUSES).default('unhandled'),
  occurredAt: isoDate,
});
export type TAlertInput = z.infer<typeof ZAlertInputSchema>;

export const ZBaselineRiskInputSchema = z.strictObject({
  assetId: z.uuid(),
  checkName: displayName(300),
  category: z.string().trim().min(1).max(100).default('general'),
  severity: z.enum(SEVERITIES),
  status: z.enum(ALERT_STATUSES).default('unhandled'),
});
export type TBaselineRiskInput = z.infer<typeof ZBaselineRiskInputSchema>;

export const ZAttackInputSchema = z.strictObject({
  externalId: z.string().trim().min(1).max(200),
  assetId: z.uuid().optional(),
  attackType: z.string().trim().min(1).max(100),
  sourceIp: z.string().trim().max(100).optional(),
  severity: z.enum(SEVERITIES),
  blocked: z.boolean().default(false),
  occurredAt: isoDate,
});
export type TAttackInput = z.infer<typeof ZAttackInputSchema>;
