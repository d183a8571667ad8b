import { ASSET_REASONS } from './status.js';

/**
 * The rules that decide how one asset of a fix task ends (DESIGN §5), apart from the workflow that runs its steps:
 * the server precheck's early end, what a verification scan leaves fixed, and the asset's status and reason.
 */

/** The part of an agent job's result these rules read. */
export interface JobOutcome {
  details: Record<string, unknown>;
}

/** A vulnerability of the asset as these rules name it. */
export interface AssetVulnerability {
  vulnerabilityId: string;
  name: string;
  type: string;
  packageName: string | null;
}

export interface AssetEndVerdict {
  status: 'Succeeded' | 'Failed' | 'Skipped';
  reason: string | null;
}

/** The agent's own words for a failed job (`details.error`, e.g. "still vulnerable: …"), when it gave them. */
export function hostError(result: JobOutcome): string | null {
  const e = result.details.error;
  if (typeof e === 'string' && e !== '') return e;
  return typeof result.details.unsupported === 'string' ? 'unsupported on this host' : null;
}

/** "still vulnerable: <package> <installed> < <fixed>" for each package a verification found below its fix. */
export function stillVulnerableLines(result: JobOutcome): string[] {
  const list = result.details.stillVulnerable;
  if (!Array.isArray(list)) return [];
  return list.flatMap((v: unknown) => {
    if (typeof v !== 'object' || v === null) return [];
    const o = v as Record<string, unknown>;
    const installed = typeof o.installedVersion === 'string' ? o.installedVersion : '(not installed)';
    return typeof o.packageName === 'string' && typeof o.fixedVersion === 'string'
      ? [`still vulnerable: ${o.packageName} ${installed} < ${o.fixedVersion}`]
      : [];
  });
}

/** The vulnerabilities (ids or names) a verification scan still finds (`details.stillPresent`). */
export function presentIn(result: JobOutcome): string[] {
  const list = result.details.stillPresent;
  return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
}

/** What a verification scan's result says is wrong, or null when it found every fix in place. */
export function verificationVerdict(result: JobOutcome): string | null {
  const lines = stillVulnerableLines(result);
  if (lines.length > 0) return lines.join('; ');
  const still = presentIn(result);
  return still.length > 0 ? `verification scan still finds ${still.join(', ')}` : null;
}

/** What a dry-run fix says it would have done ("would upgrade X from A to B"). */
export function dryRunLine(v: AssetVulnerability, result: JobOutcome | null): string {
  const d = result?.details ?? {};
  const what = v.packageName ?? v.name;
  const from = typeof d.versionBefore === 'string' ? d.versionBefore : '(unknown)';
  const to = typeof d.wouldUpgradeTo === 'string' ? d.wouldUpgradeTo : null;
  return to
    ? `would upgrade ${what} from ${from} to ${to}`
    : `would not change ${what} (no newer version offered)`;
}

/**
 * The server precheck: an asset whose agent can fix none of what it has is Skipped (capabilities are honest: nothing
 * is attempted that the host cannot fix), an offline agent fails the asset with every vulnerability, and an asset
 * with nothing left to fix succeeds. Null when the asset goes on to the agent's precheck.
 */
export function serverPrecheck(o: {
  agentOnline: boolean;
  vulnerabilities: AssetVulnerability[];
  unsupported: AssetVulnerability[];
}): { shown: string; verdict: AssetEndVerdict; failed: string[] } | null {
  if (o.vulnerabilities.length === 0 && o.unsupported.length > 0) {
    const types = [...new Set(o.unsupported.map((v) => v.type))].join(', ');
    return {
      shown: `unsupported on this host (${types})`,
      verdict: { status: 'Skipped', reason: `unsupported on this host: ${types}` },
      failed: [],
    };
  }
  if (!o.agentOnline) {
    return {
      shown: 'agent offline',
      verdict: { status: 'Failed', reason: 'precheck: the asset’s agent is offline' },
      failed: o.vulnerabilities.map((v) => v.vulnerabilityId),
    };
  }
  if (o.vulnerabilities.length === 0) {
    return {
      shown: 'nothing left to fix',
      verdict: { status: 'Succeeded', reason: ASSET_REASONS.nothingToFix },
      failed: [],
    };
  }
  return null;
}

/**
 * What a verification scan leaves fixed (the truth rule: the host's package manager judges, not the fix's exit
 * code). When it names what is still present, only those stay open and the other fixes are verified; when it failed
 * without naming any, no fix is verified.
 */
export function applyVerification(o: {
  fixed: readonly string[];
  failed: readonly string[];
  verified: readonly { vulnerabilityId: string; name: string }[];
  scan: { ok: boolean; result: JobOutcome | null; error: string | null };
}): { fixed: string[]; failed: string[]; verifyError: string | null } {
  const fixed = [...o.fixed];
  const failed = [...o.failed];
  const present = o.scan.result ? presentIn(o.scan.result) : [];
  if (present.length > 0) {
    for (const v of o.verified.filter(
      (n) => present.includes(n.vulnerabilityId) || present.includes(n.name),
    )) {
      fixed.splice(fixed.indexOf(v.vulnerabilityId), 1);
      failed.push(v.vulnerabilityId);
    }
    return { fixed, failed, verifyError: o.scan.error };
  }
  if (!o.scan.ok) {
    failed.push(...fixed.splice(0));
    return { fixed, failed, verifyError: `verification scan failed: ${o.scan.error}` };
  }
  return { fixed, failed, verifyError: null };
}

/**
 * How an asset that went through its fixes ends: Failed with every reason when a fix, the verification or the reboot
 * failed; else Succeeded, noting a dry run and a reboot the policy forbids.
 */
export function assetOutcome(o: {
  fixErrors: readonly string[];
  verifyError: string | null;
  rebootError: string | null;
  rebootRequired: boolean;
  reboot: 'never' | 'ifRequired';
  dryRuns: readonly string[];
}): AssetEndVerdict {
  const reasons = [
    o.fixErrors.length > 0 ? `fix failed — ${o.fixErrors.join('; ')}` : null,
    o.verifyError,
    o.rebootError,
  ].filter((x): x is string => x !== null);
  const pendingReboot =
    o.rebootRequired && o.reboot === 'never' ? 'fixed, pending reboot (policy: never reboot)' : null;
  const dryRun = o.dryRuns.length > 0 ? `${ASSET_REASONS.dryRun}: ${o.dryRuns.join('; ')}` : null;
  return reasons.length === 0
    ? { status: 'Succeeded', reason: [dryRun, pendingReboot].filter((x) => x !== null).join(' · ') || null }
    : { status: 'Failed', reason: [...reasons, ...(dryRun ? [dryRun] : [])].join(' · ') };
}
