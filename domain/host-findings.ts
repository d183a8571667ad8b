import { z } from 'zod';
import { SEVERITIES, type Severity } from './findings.js';

/**
 * What an agent's scan reports its host is missing (DESIGN §5 "Detection"): one entry per package update the
 * package manager offers, with the advisory and CVE ids its metadata gives. The server keeps them as `linux`
 * vulnerabilities of the agent's asset, keyed by `name`.
 */
export const MAX_HOST_FINDINGS = 10_000;

const cve = z.string().regex(/^CVE-\d{4}-\d{4,}$/);

export const ZHostFindingSchema = z.strictObject({
  /** Natural key on the asset: the advisory and package for dnf (`RHSA-2024:1234/openssl`), the package for apt. */
  name: z.string().trim().min(1).max(200),
  title: z.string().trim().min(1).max(500),
  packageName: z.string().trim().min(1).max(200),
  installedVersion: z.string().trim().min(1).max(200),
  fixedVersion: z.string().trim().min(1).max(200),
  advisory: z.string().trim().min(1).max(200).nullable(),
  cveIds: z.array(cve).max(500),
  severity: z.enum(SEVERITIES),
  /** From a security suite (apt) or a security advisory (dnf). */
  security: z.boolean(),
  /** Where the update comes from: the apt suite(s) or the dnf advisory type. */
  origin: z.string().max(500),
});
export type THostFinding = z.infer<typeof ZHostFindingSchema>;

/** A scan job's inventory (`details.inventory` of its result). */
export const ZHostInventorySchema = z.object({
  format: z.enum(['deb', 'rpm']),
  findings: z.array(ZHostFindingSchema).max(MAX_HOST_FINDINGS),
});
export type THostInventory = z.infer<typeof ZHostInventorySchema>;

/** dnf/RHEL advisory severities (updateinfo `<severity>`) in Vigil's scale. */
export function severityOfAdvisory(s: string | null | undefined): Severity {
  switch ((s ?? '').toLowerCase()) {
    case 'critical':
      return 'critical';
    case 'important':
    case 'high':
      return 'high';
    case 'low':
      return 'low';
    default:
      return 'medium';
  }
}

/**
 * Debian changelog urgencies in Vigil's scale; an update from a security suite is at least medium, any other update
 * low (it fixes no announced vulnerability).
 */
export function severityOfDebianUpdate(urgency: string | null, security: boolean): Severity {
  switch ((urgency ?? '').toLowerCase()) {
    case 'critical':
    case 'emergency':
      return 'critical';
    case 'high':
      return 'high';
    default:
      return security ? 'medium' : 'low';
  }
}

/** Why a closed finding was closed: by a Vigil task, or because a scan no longer saw it (fixed outside Vigil). */
export const FIXED_OUTSIDE_VIGIL = 'fixed outside Vigil';

/** How often an agent's host is scanned when its account has no member protection settings (DESIGN §9 default). */
export const DEFAULT_SCAN_CYCLE_DAYS = 7;
