import { z } from 'zod';
import type { TAgentCapabilities } from './agent-jobs.js';

/**
 * What an agent could not apply of a member's protection settings (issue 16: "the agent reports which revision it
 * applied and what it could not apply"). The manual: Security Center "enables the features that are supported by
 * the agent"; the rest is reported, setting by setting, and listed in the rollout's drift.
 */
export const ZUnappliedSettingSchema = z.object({
  /** Path of the setting in the settings document, e.g. `vulnerabilityManagement.autoScan.windows`. */
  setting: z.string().max(200),
  reason: z.string().max(1_000),
});
export type TUnappliedSetting = z.infer<typeof ZUnappliedSettingSchema>;
export const ZUnappliedSettingsSchema = z.array(ZUnappliedSettingSchema).max(100);

/** Client switches that turn on protection engines the reference agent does not have. */
const ENGINE_SWITCHES = [
  'proactiveDefense',
  'webshellDetection',
  'k8sThreatDetection',
  'adaptiveThreatDetection',
  'alertAggregation',
  'clientProtection',
  'clientEngine',
] as const;

/** The vulnerability types an agent scans for when it inventories its package manager. */
const PACKAGE_SCAN_TYPES = new Set(['linux']);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Everything in `config` (a member settings document as pushed in a `configure` job) that an agent with
 * `capabilities` cannot carry out. Read defensively: an agent may be older or newer than the server's schema.
 */
export function unappliedSettings(config: unknown, capabilities: TAgentCapabilities): TUnappliedSetting[] {
  if (!isRecord(config)) return [];
  const out: TUnappliedSetting[] = [];
  const client = isRecord(config.clientManagement) ? config.clientManagement : {};
  for (const key of ENGINE_SWITCHES) {
    if (client[key] === true)
      out.push({
        setting: `clientManagement.${key}`,
        reason: 'this agent has no such protection engine; the switch is recorded only',
      });
  }
  const vulns = isRecord(config.vulnerabilityManagement) ? config.vulnerabilityManagement : {};
  const autoScan = isRecord(vulns.autoScan) ? vulns.autoScan : {};
  for (const [type, on] of Object.entries(autoScan)) {
    if (on !== true) continue;
    if (!PACKAGE_SCAN_TYPES.has(type))
      out.push({
        setting: `vulnerabilityManagement.autoScan.${type}`,
        reason: `this agent detects only Linux package vulnerabilities, not ${type}`,
      });
    else if (!capabilities.scan)
      out.push({
        setting: `vulnerabilityManagement.autoScan.${type}`,
        reason: 'this agent cannot inventory its package manager (simulated executor)',
      });
  }
  if (vulns.scanMethod !== undefined && vulns.scanMethod !== 'agent')
    out.push({
      setting: 'vulnerabilityManagement.scanMethod',
      reason: `scan method ${String(vulns.scanMethod)} is not available; this host is scanned by its agent`,
    });
  const policies = Array.isArray(config.baselinePolicies) ? config.baselinePolicies : [];
  if (policies.length > 0 && capabilities.baseline?.available !== true)
    out.push({
      setting: 'baselinePolicies',
      reason: capabilities.baseline?.reason ?? 'this agent cannot run baseline checks',
    });
  return out;
}
