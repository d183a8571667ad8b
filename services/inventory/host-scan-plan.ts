import type { Executor } from '../../db/client.js';
import { effectiveSettings, inScope } from '../agents/effective-settings.js';

export interface HostScanPlan {
  /** Whether the host scans this cycle. */
  scan: boolean;
  /** Why it does not (shown in the Temporal UI). */
  reason: string | null;
  /** Days until the next cycle: the settings' `scanCycleDays`. */
  cycleDays: number;
  /** The settings revision the plan comes from (null: defaults). */
  revision: number | null;
}

/**
 * Whether and how often a host scans (issue 16, manual "Configure vulnerability settings"): the account's effective
 * settings turn automatic scans on per vulnerability type (agents detect `linux` package vulnerabilities) and name
 * the scanned assets; `scanCycleDays` is the cadence.
 */
export async function hostScanPlan(
  db: Executor,
  opts: { accountId: string; assetId: string },
): Promise<HostScanPlan> {
  const { settings, revision } = await effectiveSettings(db, opts.accountId);
  const v = settings.vulnerabilityManagement;
  const base = { cycleDays: v.scanCycleDays, revision };
  if (!v.autoScan.linux)
    return { ...base, scan: false, reason: 'automatic scans of Linux vulnerabilities are off' };
  if (!inScope(v.scannedAssets, opts.assetId))
    return { ...base, scan: false, reason: 'the host is not among the scanned assets' };
  return { ...base, scan: true, reason: null };
}
