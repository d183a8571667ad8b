import type { TAgentJob } from '../../domain/agent-jobs.js';
import { createConfigurationApplier } from './configure.js';
import {
  cancellableDelay,
  payloadString,
  type Executor,
  type ExecutorOutcome,
  type JobContext,
} from './types.js';

export interface SimulateOptions {
  /** How long a fix takes (other kinds take a fifth of it). Default 500 ms. */
  latencyMs?: number;
  /** Probability (0..1) that a fix fails with exit code 1. Default 0. */
  failureRate?: number;
  /** Seed for the failure draw, so that a run can be repeated exactly. */
  seed?: number;
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
      ...o.details,
    };
    return { exitCode, details };
  }

  return { name: 'simulate', run };
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
        `[simulate] ${dryRun ? 'dry run: would upgrade' : 'upgrading'} ${what}`,
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
