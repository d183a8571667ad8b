/** Finding vocabularies shared by ingestion, the Playbook, reports and the risk view. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The product's vulnerability tabs plus the scanner's application and emergency classes. */
export const VULNERABILITY_TYPES = ['linux', 'windows', 'webcms', 'app', 'emergency'] as const;
export type VulnerabilityType = (typeof VULNERABILITY_TYPES)[number];

/**
 * open → fixing (a task is working on it) → fixed; a fixed one seen again by a scan is open again; ignored is an
 * operator's decision that a scan does not undo.
 */
export const VULNERABILITY_STATUSES = ['open', 'fixing', 'fixed', 'ignored'] as const;
export type VulnerabilityStatus = (typeof VULNERABILITY_STATUSES)[number];

/** Who reported a vulnerability: a scanner through the API, or the asset's own agent (DESIGN §5 "Detection"). */
export const VULNERABILITY_SOURCES = ['api', 'agent'] as const;
export type VulnerabilitySource = (typeof VULNERABILITY_SOURCES)[number];

export const ALERT_STATUSES = ['unhandled', 'handled', 'ignored'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export const OS_FAMILIES = ['linux', 'windows'] as const;
export type OsFamily = (typeof OS_FAMILIES)[number];
