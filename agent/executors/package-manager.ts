import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TAgentJob } from '../../domain/agent-jobs.js';
import { createConfigurationApplier } from './configure.js';
import { runProcess, type ProcessResult } from './process.js';
import { compareRpmVersions } from './rpm-version.js';
import {
  cancellableDelay,
  payloadString,
  type Executor,
  type ExecutorOutcome,
  type JobContext,
} from './types.js';

export interface PackageManagerOptions {
  /** Extra environment for every command (tests put fake package managers first on PATH). */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for another package manager's lock before failing (default 10 minutes). */
  lockTimeoutMs?: number;
  /** Pause between lock checks (default 5 s). */
  lockRetryMs?: number;
  /** Only with this flag does a `reboot` job reboot the host (scheduled a minute later, after the result is sent). */
  allowReboot?: boolean;
  /** Files whose reboot-required marker means a reboot is pending (apt: /var/run/reboot-required). */
  rebootRequiredFile?: string;
  /** Lock files checked with `fuser` before running (default: the package manager's own). */
  lockFiles?: string[];
}

/** What differs between apt and dnf; everything else (lock waiting, kinds, snapshots) is shared. */
interface PackageManagerSpec {
  name: 'apt' | 'dnf';
  upgrade(pkg: string, dryRun: boolean): [string, string[]];
  installedVersion(pkg: string): [string, string[]];
  listInstalled: [string, string[]];
  /** Files a running package manager holds; checked with `fuser` before starting. */
  lockFiles: string[];
  isLockError(result: ProcessResult): boolean;
  /** A dry run that refused to apply (dnf --assumeno) still counts as a successful preview. */
  dryRunSucceeded(result: ProcessResult): boolean;
  /** true when `installed` is older than `fixed`. */
  olderThan(installed: string, fixed: string, ctx: JobContext, env: NodeJS.ProcessEnv): Promise<boolean>;
  rebootRequired(opts: PackageManagerOptions, ctx: JobContext, env: NodeJS.ProcessEnv): Promise<boolean>;
}

const APT_LOCK =
  /Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock the administration directory/i;
const DNF_LOCK =
  /(could not|cannot|unable to) (get|obtain|acquire) (the )?lock|waiting for process with pid|another app is currently holding the (yum|dnf) lock/i;

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

export const aptSpec: PackageManagerSpec = {
  name: 'apt',
  upgrade: (pkg, dryRun) => [
    'apt-get',
    ['install', '--only-upgrade', '-y', ...(dryRun ? ['--simulate'] : []), pkg],
  ],
  installedVersion: (pkg) => ['dpkg-query', ['-W', '-f=${Version}', pkg]],
  listInstalled: ['dpkg', ['-l']],
  lockFiles: ['/var/lib/dpkg/lock-frontend', '/var/lib/dpkg/lock'],
  // apt-get exits 100 on every error; only the lock message means "try again later".
  isLockError: (r) => r.exitCode === 100 && APT_LOCK.test(r.output),
  dryRunSucceeded: (r) => r.exitCode === 0,
  async olderThan(installed, fixed, ctx, env) {
    const r = await runProcess('dpkg', ['--compare-versions', installed, 'lt', fixed], {
      ...quiet(ctx),
      env,
    });
    if (r.exitCode === 127) throw new Error('dpkg is not available to compare versions');
    return r.exitCode === 0;
  },
  async rebootRequired(opts) {
    return exists(opts.rebootRequiredFile ?? '/var/run/reboot-required');
  },
};

export const dnfSpec: PackageManagerSpec = {
  name: 'dnf',
  upgrade: (pkg, dryRun) => ['dnf', ['upgrade', dryRun ? '--assumeno' : '-y', pkg]],
  installedVersion: (pkg) => ['rpm', ['-q', '--qf', '%{EPOCHNUM}:%{VERSION}-%{RELEASE}', pkg]],
  listInstalled: ['rpm', ['-qa']],
  lockFiles: ['/var/run/dnf.pid', '/var/lib/rpm/.rpm.lock'],
  isLockError: (r) => r.exitCode !== 0 && DNF_LOCK.test(r.output),
  dryRunSucceeded: (r) => r.exitCode === 0 || (r.exitCode === 1 && /Operation aborted/i.test(r.output)),
  olderThan: async (installed, fixed) => compareRpmVersions(installed, fixed) < 0,
  async rebootRequired(opts, ctx, env) {
    if (opts.rebootRequiredFile) return exists(opts.rebootRequiredFile);
    // needs-restarting -r: exit 1 = reboot required, 0 = not.
    const r = await runProcess('needs-restarting', ['-r'], { ...quiet(ctx), env });
    return r.exitCode === 1;
  },
};

function quiet(ctx: JobContext) {
  return { signal: ctx.signal, output: () => undefined };
}

/** The apt and dnf executors: real package managers, with lock waiting and a dry-run mode. */
export function createPackageManagerExecutor(
  spec: PackageManagerSpec,
  opts: PackageManagerOptions = {},
): Executor {
  const env = opts.env ?? {};
  const lockTimeoutMs = opts.lockTimeoutMs ?? 10 * 60_000;
  const lockRetryMs = opts.lockRetryMs ?? 5_000;

  const run = (cmd: [string, string[]], ctx: JobContext, output = true) =>
    runProcess(cmd[0], cmd[1], { signal: ctx.signal, output: output ? ctx.output : () => undefined, env });

  async function lockHeld(ctx: JobContext): Promise<boolean> {
    for (const file of opts.lockFiles ?? spec.lockFiles) {
      if (!(await exists(file))) continue;
      // fuser exits 0 when some process has the file open; 127 (not installed) means we cannot tell.
      const r = await runProcess('fuser', [file], { ...quiet(ctx), env });
      if (r.exitCode === 0) return true;
    }
    return false;
  }

  /** Runs a package-manager command, waiting while another one holds the lock instead of failing. */
  async function runWaitingForLock(cmd: [string, string[]], ctx: JobContext) {
    const started = Date.now();
    let waits = 0;
    for (;;) {
      const locked = await lockHeld(ctx);
      const result = locked ? null : await run(cmd, ctx);
      if (result && !spec.isLockError(result))
        return { result, lockWaitMs: Date.now() - started, lockWaits: waits };
      if (Date.now() - started >= lockTimeoutMs) {
        ctx.output(
          `[vigil-agent] package manager still locked after ${Math.round(lockTimeoutMs / 1000)} s; giving up\n`,
        );
        return {
          result: result ?? { exitCode: 100, output: '' },
          lockWaitMs: Date.now() - started,
          lockWaits: waits,
          lockTimedOut: true,
        };
      }
      waits++;
      ctx.output(
        `[vigil-agent] another package manager holds the lock; waiting ${Math.round(lockRetryMs / 1000)} s\n`,
      );
      await cancellableDelay(lockRetryMs, ctx.signal);
    }
  }

  async function installedVersion(pkg: string, ctx: JobContext): Promise<string | null> {
    const r = await run(spec.installedVersion(pkg), ctx, false);
    const v = r.output.trim();
    return r.exitCode === 0 && v !== '' && !/not installed/i.test(v) ? v : null;
  }

  async function packageState(job: TAgentJob, ctx: JobContext) {
    const pkg = payloadString(job, 'packageName');
    if (!pkg) return {};
    const installed = await installedVersion(pkg, ctx);
    const fixed = payloadString(job, 'fixedVersion');
    const vulnerable =
      installed === null ? false : fixed ? await spec.olderThan(installed, fixed, ctx, env) : null;
    return {
      packageName: pkg,
      installed: installed !== null,
      installedVersion: installed,
      fixedVersion: fixed ?? null,
      vulnerable,
    };
  }

  const unsupported = (job: TAgentJob, ctx: JobContext): ExecutorOutcome | null => {
    const other = payloadString(job, 'kbId') ?? payloadString(job, 'cmsComponent');
    if (payloadString(job, 'packageName') || !other) return null;
    ctx.output(
      `the ${spec.name} executor fixes Linux packages; "${other}" needs a Windows or Web-CMS agent\n`,
    );
    return { exitCode: 2, details: { unsupported: other } };
  };

  const kinds: Record<TAgentJob['kind'], (job: TAgentJob, ctx: JobContext) => Promise<ExecutorOutcome>> = {
    async precheck(job, ctx) {
      const state = await packageState(job, ctx);
      ctx.output(`agent online (${spec.name}); ${JSON.stringify(state)}\n`);
      return { exitCode: 0, details: { online: true, executor: spec.name, ...state } };
    },
    async snapshot(job, ctx) {
      if (!ctx.stateDir) throw new Error('the snapshot kind needs a state folder (--state-dir)');
      const r = await run(spec.listInstalled, ctx, false);
      if (r.exitCode !== 0) {
        ctx.output(r.output);
        return { exitCode: r.exitCode, details: {} };
      }
      const dir = path.join(ctx.stateDir, 'snapshots');
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, `${job.id}.txt`);
      await writeFile(file, r.output);
      const packageCount = r.output.split('\n').filter((l) => l.trim() !== '').length;
      ctx.output(`recorded the installed package list (${packageCount} lines) to ${file}\n`);
      return { exitCode: 0, details: { snapshotFile: file, packageCount } };
    },
    async fix(job, ctx) {
      const skip = unsupported(job, ctx);
      if (skip) return skip;
      const pkg = payloadString(job, 'packageName');
      if (!pkg) throw new Error('a fix job needs payload.packageName');
      const dryRun = ctx.dryRun || job.payload.dryRun === true;
      const before = await installedVersion(pkg, ctx);
      const { result, ...lock } = await runWaitingForLock(spec.upgrade(pkg, dryRun), ctx);
      const after = dryRun ? before : await installedVersion(pkg, ctx);
      const ok = dryRun ? spec.dryRunSucceeded(result) : result.exitCode === 0;
      return {
        exitCode: ok ? 0 : result.exitCode || 1,
        details: { packageName: pkg, dryRun, versionBefore: before, versionAfter: after, ...lock },
      };
    },
    async scan(job, ctx) {
      const skip = unsupported(job, ctx);
      if (skip) return skip;
      const state = await packageState(job, ctx);
      ctx.output(`scan: ${JSON.stringify(state)}\n`);
      return { exitCode: 0, details: state };
    },
    async reboot(_job, ctx) {
      const rebootRequired = await spec.rebootRequired(opts, ctx, env);
      const rebooting = rebootRequired && opts.allowReboot === true && !ctx.dryRun;
      if (rebooting) await run(['shutdown', ['-r', '+1', 'vigil: reboot after patching']], ctx);
      ctx.output(
        rebooting
          ? 'reboot required; the host reboots in one minute\n'
          : `reboot ${rebootRequired ? 'required but not allowed on this agent (--allow-reboot)' : 'not required'}\n`,
      );
      return { exitCode: 0, details: { rebootRequired, rebooting } };
    },
    configure: createConfigurationApplier(),
  };

  return { name: spec.name, run: (job, ctx) => kinds[job.kind](job, ctx) };
}
