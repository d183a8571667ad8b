import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { TAgentCapabilities, TAgentJob } from '../../domain/agent-jobs.js';
import type { THostFinding, THostInventory } from '../../domain/host-findings.js';
import { compareVersions, type PackageFormat } from '../../domain/package-versions.js';
import { createConfigurationApplier } from './configure.js';
import {
  aptFinding,
  changelogFacts,
  dnfFindings,
  parseAptSimulation,
  parseUpdateinfoList,
} from './inventory.js';
import { runProcess, type ProcessResult } from './process.js';
import { cancellableDelay, payloadString } from './types.js';
import type { Executor, ExecutorOutcome, JobContext } from './types.js';

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
  /**
   * The root the package manager works on, default the host's `/` (tests point it at a scratch root: dpkg-query
   * `--admindir=<root>/var/lib/dpkg`, `dnf --installroot`, `rpm --root`; apt-get itself is moved by `APT_CONFIG` in
   * `env` or by `managerOptions`).
   */
  root?: string;
  /** Options put before every apt-get / dnf command (e.g. `-o Dir=…`, `--setopt=reposdir=…`, `--repofrompath=…`). */
  managerOptions?: string[];
}

/** A command: program and arguments. */
type Command = [string, string[]];

/** What differs between apt and dnf; everything else (lock waiting, kinds, snapshots) is shared. */
interface PackageManagerSpec {
  name: 'apt' | 'dnf';
  format: PackageFormat;
  upgrade(pkg: string, dryRun: boolean, o: PackageManagerOptions): Command;
  installedVersion(pkg: string, o: PackageManagerOptions): Command;
  listInstalled(o: PackageManagerOptions): Command;
  /** The version an upgrade of `pkg` would install, read from the package manager (null: none newer). */
  candidate(pkg: string, o: PackageManagerOptions): Command;
  parseCandidate(output: string, pkg: string): string | null;
  /** What the host is missing: its upgradable packages with their advisories. */
  inventory(run: RunCommand, o: PackageManagerOptions, ctx: JobContext): Promise<THostFinding[]>;
  /** Files a running package manager holds; checked with `fuser` before starting. */
  lockFiles: string[];
  isLockError(result: ProcessResult): boolean;
  /** A dry run that refused to apply (dnf --assumeno) still counts as a successful preview. */
  dryRunSucceeded(result: ProcessResult): boolean;
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

const root = (o: PackageManagerOptions) => o.root ?? '/';

/** Runs a command quietly (output not streamed); its result. */
type RunCommand = (
  cmd: Command,
  ctx: JobContext,
  opts?: { stream?: boolean; cwd?: string },
) => Promise<ProcessResult>;

export const aptSpec: PackageManagerSpec = {
  name: 'apt',
  format: 'deb',
  upgrade: (pkg, dryRun, o) => [
    'apt-get',
    [...(o.managerOptions ?? []), 'install', '--only-upgrade', '-y', ...(dryRun ? ['--simulate'] : []), pkg],
  ],
  installedVersion: (pkg, o) => [
    'dpkg-query',
    [`--admindir=${path.join(root(o), 'var/lib/dpkg')}`, '-W', '-f=${Version}', pkg],
  ],
  listInstalled: (o) => ['dpkg-query', [`--admindir=${path.join(root(o), 'var/lib/dpkg')}`, '-W']],
  candidate: (pkg, o) => [
    'apt-get',
    [...(o.managerOptions ?? []), 'install', '--only-upgrade', '--simulate', pkg],
  ],
  parseCandidate: (output, pkg) =>
    parseAptSimulation(output).find((u) => u.packageName === pkg)?.candidateVersion ?? null,
  async inventory(run, o, ctx) {
    const opts = o.managerOptions ?? [];
    const refresh = await run(['apt-get', [...opts, 'update', '-qq']], ctx);
    if (refresh.exitCode !== 0)
      ctx.output(
        `[vigil-agent] apt-get update failed (exit ${refresh.exitCode}); scanning the lists apt has\n`,
      );
    const sim = await run(['apt-get', [...opts, '--simulate', 'upgrade']], ctx, { stream: false });
    if (sim.exitCode !== 0)
      throw new Error(`apt-get --simulate upgrade failed (exit ${sim.exitCode}): ${sim.output}`);
    const upgrades = parseAptSimulation(sim.output);
    const findings: THostFinding[] = [];
    for (const u of upgrades) {
      // CVE ids come from the candidate's own changelog (offline, no changelog server): security updates only.
      const facts = u.security
        ? await debianChangelogFacts(run, o, ctx, u.packageName, u.candidateVersion, u.installedVersion)
        : null;
      findings.push(aptFinding(u, facts));
    }
    return findings;
  },
  lockFiles: ['/var/lib/dpkg/lock-frontend', '/var/lib/dpkg/lock'],
  // apt-get exits 100 on every error; only the lock message means "try again later".
  isLockError: (r) => r.exitCode === 100 && APT_LOCK.test(r.output),
  dryRunSucceeded: (r) => r.exitCode === 0,
  async rebootRequired(opts) {
    return exists(opts.rebootRequiredFile ?? path.join(root(opts), 'var/run/reboot-required'));
  },
};

/**
 * The changelog facts of a candidate .deb: downloaded into a scratch folder, its `changelog.Debian.gz` unpacked and
 * read back to the installed version (research notes §1). Null when the package or its changelog cannot be read
 * (the finding is still reported, without CVE ids).
 */
async function debianChangelogFacts(
  run: RunCommand,
  o: PackageManagerOptions,
  ctx: JobContext,
  pkg: string,
  candidate: string,
  installed: string,
) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-changelog-'));
  try {
    const dl = await run(
      ['apt-get', [...(o.managerOptions ?? []), 'download', '-qq', `${pkg}=${candidate}`]],
      ctx,
      {
        stream: false,
        cwd: dir,
      },
    );
    const deb = (await readdir(dir)).find((f) => f.endsWith('.deb'));
    if (dl.exitCode !== 0 || !deb) return null;
    const unpacked = path.join(dir, 'x');
    const x = await run(['dpkg-deb', ['-x', path.join(dir, deb), unpacked]], ctx, { stream: false });
    if (x.exitCode !== 0) return null;
    const gz = await readFile(path.join(unpacked, 'usr/share/doc', pkg, 'changelog.Debian.gz')).catch(
      () => null,
    );
    return gz ? changelogFacts(gunzipSync(gz).toString('utf8'), installed) : null;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const dnf = (o: PackageManagerOptions, args: string[]): Command => [
  'dnf',
  [...(o.root ? [`--installroot=${o.root}`] : []), ...(o.managerOptions ?? []), ...args],
];
const rpm = (o: PackageManagerOptions, args: string[]): Command => [
  'rpm',
  [...(o.root ? [`--root=${o.root}`] : []), ...args],
];
const RPM_EVR = '%{EPOCHNUM}:%{VERSION}-%{RELEASE}';

export const dnfSpec: PackageManagerSpec = {
  name: 'dnf',
  format: 'rpm',
  upgrade: (pkg, dryRun, o) => dnf(o, ['upgrade', dryRun ? '--assumeno' : '-y', pkg]),
  installedVersion: (pkg, o) => rpm(o, ['-q', '--qf', RPM_EVR, pkg]),
  listInstalled: (o) => rpm(o, ['-qa']),
  candidate: (pkg, o) =>
    dnf(o, [
      '-q',
      'repoquery',
      '--upgrades',
      '--latest-limit=1',
      '--qf',
      `%{name} ${'%{epoch}:%{version}-%{release}'}`,
      pkg,
    ]),
  parseCandidate(output, pkg) {
    for (const line of output.split('\n')) {
      const [name, evr] = line.trim().split(/\s+/);
      if (name === pkg && evr) return evr;
    }
    return null;
  },
  async inventory(run, o, ctx) {
    const list = await run(dnf(o, ['-q', 'updateinfo', 'list', '--security']), ctx, { stream: false });
    if (list.exitCode !== 0)
      throw new Error(`dnf updateinfo list failed (exit ${list.exitCode}): ${list.output}`);
    const cves = await run(dnf(o, ['-q', 'updateinfo', 'list', '--security', '--with-cve']), ctx, {
      stream: false,
    });
    if (cves.exitCode !== 0) throw new Error(`dnf updateinfo list --with-cve failed (exit ${cves.exitCode})`);
    const advisories = parseUpdateinfoList(list.output);
    const installed = new Map<string, string>();
    const names = [...new Set(advisories.map((a) => a.nevra.replace(/-[^-]+-[^-]+$/, '')))];
    if (names.length > 0) {
      const q = await run(rpm(o, ['-q', '--qf', `%{NAME} ${RPM_EVR}\\n`, ...names]), ctx, { stream: false });
      for (const line of q.output.split('\n')) {
        const [name, evr] = line.trim().split(' ');
        if (name && evr && !/not installed/.test(line)) installed.set(name, evr);
      }
    }
    return dnfFindings(advisories, parseUpdateinfoList(cves.output), installed);
  },
  lockFiles: ['/var/run/dnf.pid', '/var/lib/rpm/.rpm.lock'],
  isLockError: (r) => r.exitCode !== 0 && DNF_LOCK.test(r.output),
  dryRunSucceeded: (r) => r.exitCode === 0 || (r.exitCode === 1 && /Operation aborted/i.test(r.output)),
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

/** A verification verdict on one package: its installed version against the fixed one. */
export interface PackageVerdict {
  id: string | null;
  packageName: string;
  installedVersion: string | null;
  fixedVersion: string;
  stillVulnerable: boolean;
}

/** The operator's line for a package still below its fixed version (DESIGN §5 truth rule). */
export function stillVulnerableLine(v: PackageVerdict): string {
  return `still vulnerable: ${v.packageName} ${v.installedVersion ?? '(not installed)'} < ${v.fixedVersion}`;
}

/** The vulnerabilities a verify scan is asked about (`payload.vulnerabilities`). */
function vulnerabilitiesToVerify(
  job: TAgentJob,
): { id: string | null; packageName: string; fixedVersion: string }[] {
  const list = job.payload.vulnerabilities;
  if (!Array.isArray(list)) return [];
  return list.flatMap((v: unknown) => {
    if (typeof v !== 'object' || v === null) return [];
    const o = v as Record<string, unknown>;
    return typeof o.packageName === 'string' && typeof o.fixedVersion === 'string' && o.fixedVersion !== ''
      ? [
          {
            id: typeof o.id === 'string' ? o.id : null,
            packageName: o.packageName,
            fixedVersion: o.fixedVersion,
          },
        ]
      : [];
  });
}

/** The apt and dnf executors: real package managers, with lock waiting and a dry-run mode. */
export function createPackageManagerExecutor(
  spec: PackageManagerSpec,
  opts: PackageManagerOptions = {},
): Executor {
  const env = opts.env ?? {};
  const lockTimeoutMs = opts.lockTimeoutMs ?? 10 * 60_000;
  const lockRetryMs = opts.lockRetryMs ?? 5_000;

  const run: RunCommand = (cmd, ctx, o = {}) =>
    runProcess(cmd[0], cmd[1], {
      signal: ctx.signal,
      output: o.stream === false ? () => undefined : ctx.output,
      env,
      cwd: o.cwd,
    });

  async function lockHeld(ctx: JobContext): Promise<boolean> {
    const files = opts.lockFiles ?? spec.lockFiles.map((f) => path.join(opts.root ?? '/', f));
    for (const file of files) {
      if (!(await exists(file))) continue;
      // fuser exits 0 when some process has the file open; 127 (not installed) means we cannot tell.
      const r = await runProcess('fuser', [file], { ...quiet(ctx), env });
      if (r.exitCode === 0) return true;
    }
    return false;
  }

  /** Runs a package-manager command, waiting while another one holds the lock instead of failing. */
  async function runWaitingForLock(cmd: Command, ctx: JobContext) {
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
    const r = await run(spec.installedVersion(pkg, opts), ctx, { stream: false });
    const v = r.output.trim();
    return r.exitCode === 0 && v !== '' && !/not installed|no packages found/i.test(v) ? v : null;
  }

  /** Re-reads the installed version of a package and compares it with the fixed one in the distribution's order. */
  async function verdict(
    v: { id: string | null; packageName: string; fixedVersion: string },
    ctx: JobContext,
  ): Promise<PackageVerdict> {
    const installed = await installedVersion(v.packageName, ctx);
    // A package that is no longer installed cannot be vulnerable.
    const below = installed !== null && compareVersions(spec.format, installed, v.fixedVersion) < 0;
    return { ...v, installedVersion: installed, stillVulnerable: below };
  }

  async function packageState(job: TAgentJob, ctx: JobContext) {
    const pkg = payloadString(job, 'packageName');
    if (!pkg) return {};
    const installed = await installedVersion(pkg, ctx);
    const fixed = payloadString(job, 'fixedVersion');
    const vulnerable =
      installed === null ? false : fixed ? compareVersions(spec.format, installed, fixed) < 0 : null;
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
    ctx.output(`unsupported on this host: the ${spec.name} executor fixes Linux packages, not "${other}"\n`);
    return { exitCode: 2, details: { unsupported: other } };
  };

  async function dryRunFix(pkg: string, before: string | null, ctx: JobContext): Promise<ExecutorOutcome> {
    const { result, ...lock } = await runWaitingForLock(spec.upgrade(pkg, true, opts), ctx);
    const c = await run(spec.candidate(pkg, opts), ctx, { stream: false });
    const to = c.exitCode === 0 ? spec.parseCandidate(c.output, pkg) : null;
    ctx.output(
      to
        ? `dry run: would upgrade ${pkg} from ${before ?? '(not installed)'} to ${to}\n`
        : `dry run: would not change ${pkg} (${before ?? 'not installed'}; no newer version offered)\n`,
    );
    return {
      exitCode: spec.dryRunSucceeded(result) ? 0 : result.exitCode || 1,
      details: { packageName: pkg, dryRun: true, versionBefore: before, wouldUpgradeTo: to, ...lock },
    };
  }

  async function inventory(ctx: JobContext): Promise<ExecutorOutcome> {
    const findings = await spec.inventory(run, opts, ctx);
    const security = findings.filter((f) => f.security).length;
    ctx.output(
      `scan: ${findings.length} missing updates (${security} security)\n` +
        findings
          .map(
            (f) =>
              `  ${f.packageName} ${f.installedVersion} → ${f.fixedVersion}${f.advisory ? ` ${f.advisory}` : ''}${f.cveIds.length ? ` ${f.cveIds.join(' ')}` : ''}\n`,
          )
          .join(''),
    );
    const inv: THostInventory = { format: spec.format, findings };
    return { exitCode: 0, details: { inventory: inv } };
  }

  // Baseline checks are the same for every executor: `withHostChecks` (executors/index.ts) runs them.
  const kinds: Record<
    Exclude<TAgentJob['kind'], 'baseline'>,
    (job: TAgentJob, ctx: JobContext) => Promise<ExecutorOutcome>
  > = {
    async precheck(job, ctx) {
      const state = await packageState(job, ctx);
      ctx.output(`agent online (${spec.name}); ${JSON.stringify(state)}\n`);
      return { exitCode: 0, details: { online: true, executor: spec.name, ...state } };
    },
    async snapshot(job, ctx) {
      if (!ctx.stateDir) throw new Error('the snapshot kind needs a state folder (--state-dir)');
      const r = await run(spec.listInstalled(opts), ctx, { stream: false });
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
      const before = await installedVersion(pkg, ctx);
      if (ctx.dryRun || job.payload.dryRun === true) return dryRunFix(pkg, before, ctx);
      const { result, ...lock } = await runWaitingForLock(spec.upgrade(pkg, false, opts), ctx);
      const after = await installedVersion(pkg, ctx);
      const details = {
        packageName: pkg,
        dryRun: false,
        versionBefore: before,
        versionAfter: after,
        ...lock,
      };
      if (result.exitCode !== 0) return { exitCode: result.exitCode, details };
      // The exit code proves nothing (DESIGN §5): the installed version must have reached the fixed one.
      // A verification scan follows when the task asks for one (`verifiedAfter`); otherwise the fix judges itself.
      const fixed = payloadString(job, 'fixedVersion');
      if (fixed && job.payload.verifiedAfter !== true) {
        const v = await verdict(
          { id: payloadString(job, 'vulnerabilityId') ?? null, packageName: pkg, fixedVersion: fixed },
          ctx,
        );
        if (v.stillVulnerable) {
          ctx.output(`${stillVulnerableLine(v)}\n`);
          return {
            exitCode: 1,
            details: { ...details, stillVulnerable: [v], error: stillVulnerableLine(v) },
          };
        }
      }
      return { exitCode: 0, details };
    },
    async scan(job, ctx) {
      const skip = unsupported(job, ctx);
      if (skip) return skip;
      const toVerify = vulnerabilitiesToVerify(job);
      if (toVerify.length > 0) {
        const verdicts: PackageVerdict[] = [];
        for (const v of toVerify) verdicts.push(await verdict(v, ctx));
        for (const v of verdicts)
          ctx.output(
            v.stillVulnerable
              ? `${stillVulnerableLine(v)}\n`
              : `verified: ${v.packageName} ${v.installedVersion ?? '(not installed)'} >= ${v.fixedVersion}\n`,
          );
        const still = verdicts.filter((v) => v.stillVulnerable);
        return {
          exitCode: 0,
          details: {
            verified: verdicts,
            stillPresent: still.map((v) => v.id ?? v.packageName),
            stillVulnerable: still,
          },
        };
      }
      if (payloadString(job, 'packageName')) {
        const state = await packageState(job, ctx);
        ctx.output(`scan: ${JSON.stringify(state)}\n`);
        return { exitCode: 0, details: state };
      }
      return inventory(ctx);
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

  return {
    name: spec.name,
    capabilities: (dryRun: boolean): TAgentCapabilities => ({ fixes: ['linux'], scan: true, dryRun }),
    run: async (job, ctx) =>
      job.kind === 'baseline'
        ? { exitCode: 1, details: { error: 'baseline checks run through withHostChecks' } }
        : kinds[job.kind](job, ctx),
  };
}
