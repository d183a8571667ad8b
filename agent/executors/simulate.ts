import { AGENT_FIX_TYPES, type AgentFixType, type TAgentJob } from '../../domain/agent-jobs.js';
import type { THostFinding, THostInventory } from '../../domain/host-findings.js';
import { createConfigurationApplier } from './configure.js';
import { cancellableDelay, payloadString } from './types.js';
import type { Executor, ExecutorOutcome, JobContext } from './types.js';

export interface SimulateOptions {
  /** How long a fix takes (other kinds take a fifth of it). Default 500 ms. */
  latencyMs?: number;
  /** Probability (0..1) that a fix fails with exit code 1. Default 0. */
  failureRate?: number;
  /** Seed for the failure draw, so that a run can be repeated exactly. */
  seed?: number;
  /**
   * Vulnerability types this simulated host claims it can fix (default Linux only): a fix of another type is
   * refused as unsupported, never "fixed" by pretending.
   */
  fixes?: AgentFixType[];
  /** Updates an inventory scan reports missing (default 0): `sim-pkg-<n>` 1.0-1 → 1.0-2, one CVE each. */
  missingUpdates?: number;
}

/**
 * Per-job overrides a test or demo may put in `payload.simulate` (the real executors ignore it):
 * `{ exitCode?, latencyMs?, output?, details? }`.
 */
interface SimulateOverride {
  exitCode?: number;
  latencyMs?: number;
  output?: string;
  details?: Record<string, unknown>;
}

/** mulberry32: a small, fast seeded generator; good enough for failure draws. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function override(job: TAgentJob): SimulateOverride {
  const v = job.payload.simulate;
  if (typeof v !== 'object' || v === null) return {};
  const o = v as Record<string, unknown>;
  return {
    exitCode: typeof o.exitCode === 'number' ? o.exitCode : undefined,
    latencyMs: typeof o.latencyMs === 'number' ? o.latencyMs : undefined,
    output: typeof o.output === 'string' ? o.output : undefined,
    details:
      typeof o.details === 'object' && o.details !== null
        ? (o.details as Record<string, unknown>)
        : undefined,
  };
}

/** Changes nothing on the host: waits, prints what it would do, and fails at the configured rate. */
export function createSimulateExecutor(opts: SimulateOptions = {}): Executor {
  const latencyMs = opts.latencyMs ?? 500;
  const failureRate = opts.failureRate ?? 0;
  const random = seededRandom(opts.seed ?? Date.now());
  /** Packages this simulated host has "upgraded", so a verification scan after a fix comes back clean. */
  const fixed = new Set<string>();
  const applyConfiguration = createConfigurationApplier();
  const fixes = opts.fixes ?? ['linux'];

  async function work(job: TAgentJob, ctx: JobContext, ms: number, lines: string[]): Promise<void> {
    const step = lines.length > 0 ? ms / lines.length : ms;
    if (lines.length === 0) await cancellableDelay(ms, ctx.signal);
    for (const line of lines) {
      await cancellableDelay(step, ctx.signal);
      ctx.output(`${line}\n`);
    }
  }

  async function run(job: TAgentJob, ctx: JobContext): Promise<ExecutorOutcome> {
    const o = override(job);
    const target =
      payloadString(job, 'packageName') ?? payloadString(job, 'kbId') ?? payloadString(job, 'cmsComponent');
    const ms = o.latencyMs ?? (job.kind === 'fix' ? latencyMs : Math.round(latencyMs / 5));
    if (job.kind === 'configure') {
      await work(job, ctx, ms, []);
      return applyConfiguration(job, ctx);
    }
    const type = payloadString(job, 'type');
    if (
      job.kind === 'fix' &&
      type &&
      (AGENT_FIX_TYPES as readonly string[]).includes(type) &&
      !fixes.includes(type as AgentFixType)
    ) {
      ctx.output(
        `unsupported on this host: this simulated agent fixes ${fixes.join(', ') || 'nothing'}, not ${type}\n`,
      );
      return { exitCode: 2, details: { simulated: true, unsupported: type } };
    }
    if (job.kind === 'scan' && !target && !Array.isArray(job.payload.vulnerabilities)) {
      await work(job, ctx, ms, []);
      return {
        exitCode: 0,
        details: { simulated: true, inventory: simulatedInventory(opts.missingUpdates ?? 0, fixed) },
      };
    }
    const dryRun = ctx.dryRun || job.payload.dryRun === true;
    const failed = job.kind === 'fix' && failureRate > 0 && random() < failureRate;
    const lines = o.output !== undefined ? [o.output] : simulatedLines(job, target, dryRun, failed);
    await work(job, ctx, ms, lines);
    const exitCode = o.exitCode ?? (failed ? 1 : 0);
    if (job.kind === 'fix' && exitCode === 0 && target && !dryRun) fixed.add(target);
    const vulnerable = target ? !fixed.has(target) : null;
    const details: Record<string, unknown> = {
      simulated: true,
      ...kindDetails(job, target, vulnerable),
      ...(job.kind === 'fix' && dryRun
        ? { dryRun: true, wouldUpgradeTo: payloadString(job, 'fixedVersion') ?? null }
        : {}),
      ...(job.kind === 'scan' ? verifyDetails(job, fixed) : {}),
      ...o.details,
    };
    return { exitCode, details };
  }

  return {
    name: 'simulate',
    capabilities: (dryRun: boolean) => ({
      fixes: [...fixes],
      scan: opts.missingUpdates !== undefined,
      dryRun,
    }),
    run,
  };
}

/** A verification scan of a simulated host: what it has not "upgraded" is still present. */
function verifyDetails(job: TAgentJob, fixed: Set<string>): Record<string, unknown> {
  const list = job.payload.vulnerabilities;
  if (!Array.isArray(list)) return {};
  const still = list.filter((v: unknown): v is { id?: unknown; packageName?: unknown } => {
    if (typeof v !== 'object' || v === null) return false;
    const p = (v as { packageName?: unknown }).packageName;
    return typeof p === 'string' && !fixed.has(p);
  });
  return { stillPresent: still.map((v) => (typeof v.id === 'string' ? v.id : String(v.packageName))) };
}

/** The simulated host's missing updates, less those it has "upgraded". */
function simulatedInventory(n: number, fixed: Set<string>): THostInventory {
  const findings: THostFinding[] = [];
  for (let i = 1; i <= n; i++) {
    const packageName = `sim-pkg-${i}`;
    if (fixed.has(packageName)) continue;
    findings.push({
      name: packageName,
      title: `${packageName} 1.0-2 security update (simulated)`,
      packageName,
      installedVersion: '1.0-1',
      fixedVersion: '1.0-2',
      advisory: null,
      cveIds: [`CVE-2026-${String(10000 + i)}`],
      severity: i % 4 === 0 ? 'high' : 'medium',
      security: true,
      origin: 'simulated-security',
    });
  }
  return { format: 'deb', findings };
}

function simulatedLines(
  job: TAgentJob,
  target: string | undefined,
  dryRun: boolean,
  failed: boolean,
): string[] {
  const what = target ?? 'the host';
  switch (job.kind) {
    case 'fix':
      return [
        dryRun
          ? `[simulate] dry run: would upgrade ${what} to ${payloadString(job, 'fixedVersion') ?? 'the fixed version'}`
          : `[simulate] upgrading ${what}`,
        `[simulate] reading package lists… done`,
        failed ? `[simulate] E: simulated failure upgrading ${what}` : `[simulate] ${what} upgraded`,
      ];
    case 'precheck':
      return [`[simulate] agent online; ${what} present`];
    case 'snapshot':
      return [`[simulate] snapshot of ${what} taken (nothing written)`];
    case 'scan':
      return [`[simulate] scanned ${what}`];
    case 'reboot':
      return ['[simulate] reboot not required'];
    case 'configure':
    case 'baseline':
      return [];
  }
}

function kindDetails(
  job: TAgentJob,
  target: string | undefined,
  vulnerable: boolean | null,
): Record<string, unknown> {
  switch (job.kind) {
    case 'precheck':
      return { online: true, executor: 'simulate', installed: target !== undefined, vulnerable };
    case 'scan':
      return { vulnerable };
    case 'reboot':
      return { rebootRequired: false, rebooting: false };
    case 'snapshot':
      return { snapshotFile: null };
    default:
      return target ? { target } : {};
  }
}
