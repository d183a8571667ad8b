import { z } from 'zod';
import { VULNERABILITY_TYPES } from '../findings.js';
import { displayName } from '../input-rules.js';

/** Manual, "Manage protection modes": the agent runs business-first, protection-first or for major activities. */
export const PROTECTION_MODES = ['businessFirst', 'protectionFirst', 'majorActivities'] as const;

/** Manual, "Configure vulnerability settings": scans run every 1, 3, 7 or 30 days. */
export const SCAN_CYCLE_DAYS = [1, 3, 7, 30] as const;

/**
 * Manual, "Configure vulnerability settings": the scan method. `agent` scans through the host's agent (its package
 * manager's metadata); `agentless` would scan a disk snapshot without one — agents report it as not applied.
 */
export const SCAN_METHODS = ['agent', 'agentless'] as const;

/** Detected vulnerabilities that stay unfixed are deleted after 1 to 365 days. */
export const MAX_VULNERABILITY_RETENTION_DAYS = 365;

/** A member carries at most this many baseline check policies. */
export const MAX_BASELINE_POLICIES = 50;

// zod-to-openapi documents a many-valued literal by its first value only (`enum: [1]`); the explicit enum keeps
// the document truthful. `test/openapi.test.ts` fails on any many-valued literal without one.
const cycleDays = z
  .literal(SCAN_CYCLE_DAYS, { error: `must be one of ${SCAN_CYCLE_DAYS.join(', ')} days` })
  .meta({ enum: [...SCAN_CYCLE_DAYS] });

/** Which of the member's assets a setting applies to. */
export const ZAssetScopeSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('all') }),
  z.strictObject({ mode: z.literal('selected'), assetIds: z.array(z.uuid()).min(1).max(10_000) }),
]);
export type TAssetScope = z.infer<typeof ZAssetScopeSchema>;

/** The eight switches of the Settings panel's "Client management" step. */
export const ZClientManagementSchema = z.strictObject({
  proactiveDefense: z.boolean(),
  webshellDetection: z.boolean(),
  k8sThreatDetection: z.boolean(),
  adaptiveThreatDetection: z.boolean(),
  alertAggregation: z.boolean(),
  protectionMode: z.enum(PROTECTION_MODES),
  clientProtection: z.boolean(),
  /** On: detect webshells and viruses with the server-side engines only (limited network in data centres). */
  clientEngine: z.boolean(),
});

export const ZVulnerabilityManagementSchema = z.strictObject({
  autoScan: z.strictObject(
    Object.fromEntries(VULNERABILITY_TYPES.map((t) => [t, z.boolean()])) as Record<
      (typeof VULNERABILITY_TYPES)[number],
      z.ZodBoolean
    >,
  ),
  scanCycleDays: cycleDays,
  scanMethod: z.enum(SCAN_METHODS).default('agent'),
  scannedAssets: ZAssetScopeSchema,
  deleteAfterDays: z.number().int().min(1).max(MAX_VULNERABILITY_RETENTION_DAYS),
});

export const ZBaselinePolicySchema = z.strictObject({
  name: displayName(100),
  checkItems: z
    .array(z.string().trim().min(1).max(200))
    .min(1)
    .max(1000)
    .refine((items) => new Set(items).size === items.length, 'check items must be unique'),
  cycleDays,
  /** Hour of day (0–23, UTC) at which the check starts. */
  startHour: z.number().int().min(0).max(23).default(0),
  assets: ZAssetScopeSchema,
});

/** One full settings document; every save is a new revision of it. */
export const ZMemberSettingsSchema = z.strictObject({
  clientManagement: ZClientManagementSchema,
  vulnerabilityManagement: ZVulnerabilityManagementSchema,
  baselinePolicies: z
    .array(ZBaselinePolicySchema)
    .max(MAX_BASELINE_POLICIES)
    .refine(
      (ps) => new Set(ps.map((p) => p.name)).size === ps.length,
      'baseline policy names must be unique',
    ),
});
export type TMemberSettings = z.infer<typeof ZMemberSettingsSchema>;

/** Every asset id a settings document names, to check that they are the member's. */
export function settingsAssetIds(s: TMemberSettings): string[] {
  const scopes = [s.vulnerabilityManagement.scannedAssets, ...s.baselinePolicies.map((p) => p.assets)];
  return [...new Set(scopes.flatMap((scope) => (scope.mode === 'selected' ? scope.assetIds : [])))];
}

/** What a member runs before an administrator saves anything: every protection on, weekly scans, no policies. */
export const DEFAULT_MEMBER_SETTINGS: TMemberSettings = {
  clientManagement: {
    proactiveDefense: true,
    webshellDetection: true,
    k8sThreatDetection: false,
    adaptiveThreatDetection: true,
    alertAggregation: true,
    protectionMode: 'businessFirst',
    clientProtection: true,
    clientEngine: false,
  },
  vulnerabilityManagement: {
    autoScan: { linux: true, windows: true, webcms: true, app: true, emergency: true },
    scanCycleDays: 7,
    scanMethod: 'agent',
    scannedAssets: { mode: 'all' },
    deleteAfterDays: 30,
  },
  baselinePolicies: [],
};

/** The defaults with another protection mode: the smallest meaningful change, for tests and benches. */
export function settingsWithMode(
  protectionMode: TMemberSettings['clientManagement']['protectionMode'],
): TMemberSettings {
  return {
    ...DEFAULT_MEMBER_SETTINGS,
    clientManagement: { ...DEFAULT_MEMBER_SETTINGS.clientManagement, protectionMode },
  };
}

/** What a baseline policy saved before a field existed is read with (name and check items have no default). */
export const BASELINE_POLICY_DEFAULTS = { cycleDays: 7, startHour: 0, assets: { mode: 'all' } } as const;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `schema` made tolerant of documents written under an older schema: a missing field takes its value from
 * `fallback` (recursively for objects; array elements that are objects use `elementFallback`), and fields the
 * schema no longer has are dropped. Values are not otherwise relaxed.
 */
function fillingDefaults(schema: z.ZodType, fallback: unknown, elementFallback?: unknown): z.ZodType {
  if (schema instanceof z.ZodObject) {
    const given = isRecord(fallback) ? fallback : {};
    const shape = Object.fromEntries(
      Object.entries(schema.shape as Record<string, z.ZodType>).map(([key, field]) => [
        key,
        fillingDefaults(field, given[key]),
      ]),
    );
    const lenient = z.object(shape);
    return fallback === undefined ? lenient : lenient.default(fallback as Record<string, unknown>);
  }
  if (schema instanceof z.ZodArray && elementFallback !== undefined) {
    const lenient = z.array(fillingDefaults(schema.element as z.ZodType, elementFallback));
    return fallback === undefined ? lenient : lenient.default(fallback as unknown[]);
  }
  return fallback === undefined ? schema : schema.default(fallback);
}

const ZStoredMemberSettingsSchema = z.object({
  clientManagement: fillingDefaults(ZClientManagementSchema, DEFAULT_MEMBER_SETTINGS.clientManagement),
  vulnerabilityManagement: fillingDefaults(
    ZVulnerabilityManagementSchema,
    DEFAULT_MEMBER_SETTINGS.vulnerabilityManagement,
  ),
  baselinePolicies: fillingDefaults(
    ZMemberSettingsSchema.shape.baselinePolicies,
    DEFAULT_MEMBER_SETTINGS.baselinePolicies,
    BASELINE_POLICY_DEFAULTS,
  ),
});

/**
 * A saved settings revision as the current schema reads it: fields the revision predates are filled with
 * `DEFAULT_MEMBER_SETTINGS` (and `BASELINE_POLICY_DEFAULTS`), fields since removed are dropped. A value the current
 * schema refuses (not merely missing) is still an error: narrowing a value needs a data migration.
 */
export function readStoredSettings(stored: unknown): TMemberSettings {
  return ZMemberSettingsSchema.parse(ZStoredMemberSettingsSchema.parse(stored));
}
