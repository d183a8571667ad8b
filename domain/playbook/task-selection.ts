import { z } from 'zod';
import {
  defaultCapabilities,
  ZAgentCapabilitiesSchema,
  type AgentExecutorName,
  type AgentFixType,
  type TAgentCapabilities,
} from '../agent-jobs.js';
import { FIXABLE_VULNERABILITY_TYPES } from './policy.js';

/** The preview's tabs (seed: "Linux software", "Windows system", "Web-CMS" vulnerabilities). */
export type FixTab = (typeof FIXABLE_VULNERABILITY_TYPES)[number];

/**
 * Why an asset cannot have a vulnerability type fixed (Playbook truth rule: such an asset is shown before the task
 * runs and skipped, never failed late nor "fixed" by pretending).
 */
export const FIX_UNAVAILABLE = {
  noAgent: 'no agent',
  unsupported: 'unsupported on this host',
} as const;
export type FixAvailability = 'supported' | (typeof FIX_UNAVAILABLE)[keyof typeof FIX_UNAVAILABLE];

export interface AgentOfAsset {
  executor: AgentExecutorName;
  /** As stored: empty (or partial) for agents that registered before they reported capabilities. */
  capabilities: Partial<TAgentCapabilities>;
}

/** What an agent can do: what it reported, completed by what its executor does when it reported nothing. */
export function effectiveCapabilities(agent: AgentOfAsset): TAgentCapabilities {
  const fallback = defaultCapabilities(agent.executor);
  // Reported members over the executor's defaults; a row that does not parse is not trusted beyond the defaults.
  const reported = ZAgentCapabilitiesSchema.safeParse({ ...fallback, ...agent.capabilities });
  return reported.success ? reported.data : fallback;
}

/** Whether the asset's agent can fix vulnerabilities of `type`. */
export function fixAvailability(agent: AgentOfAsset | null, type: AgentFixType): FixAvailability {
  if (!agent) return FIX_UNAVAILABLE.noAgent;
  return effectiveCapabilities(agent).fixes.includes(type) ? 'supported' : FIX_UNAVAILABLE.unsupported;
}

const ZPreviewVulnerabilitySchema = z.object({
  id: z.uuid().describe('One of the selected ids naming this vulnerability'),
  name: z.string(),
  title: z.string(),
  severity: z.string(),
  packageName: z.string().nullable(),
  assets: z.number().int().describe('Chosen assets where it is present (units of this vulnerability)'),
  unsupported: z
    .number()
    .int()
    .describe('Of those, assets whose agent cannot fix it (or that have no agent)'),
});

const ZPreviewAssetSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  hostname: z.string(),
  agentStatus: z.enum(['online', 'offline', 'none']),
  vulnerabilities: z.number().int().describe('Units of this tab on the asset'),
  fix: z
    .enum(['supported', FIX_UNAVAILABLE.noAgent, FIX_UNAVAILABLE.unsupported])
    .describe('Whether the asset’s agent can fix this tab’s vulnerabilities'),
});

const ZPreviewTabSchema = z.object({
  vulnerabilities: z.array(ZPreviewVulnerabilitySchema),
  assets: z.array(ZPreviewAssetSchema),
});

/** Exactly what a task touches, per tab; the preview answers it and create returns the same. */
export const ZSelectionPreviewSchema = z.object({
  assetCount: z.number().int(),
  vulnerabilityCount: z.number().int().describe('Distinct vulnerabilities (type and name)'),
  units: z.number().int().describe('asset × vulnerability units (the seed’s "processes")'),
  tabs: z.object({ linux: ZPreviewTabSchema, windows: ZPreviewTabSchema, webcms: ZPreviewTabSchema }),
});
export type TSelectionPreview = z.infer<typeof ZSelectionPreviewSchema>;
export type TPreviewTab = z.infer<typeof ZPreviewTabSchema>;
