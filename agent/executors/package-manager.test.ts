import { chmod, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TAgentJob } from '../../domain/agent-jobs.js';
import { createExecutor } from './index.js';
import { compareRpmVersions } from '../../domain/package-versions.js';
import { JobCancelledError, type JobContext } from './types.js';

let dir: string;
let bin: string;

/** Fake package-manager tools on PATH: real processes, scripted behaviour. */
async function script(name: string, body: string): Promise<void> {
  const file = path.join(bin, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-apt-'));
  bin = path.join(dir, 'bin');
  await import('node:fs/promises').then((fs) => fs.mkdir(bin));
  await writeFile(path.join(dir, 'version'), '1:9.6p1-1');
  await writeFile(path.join(dir, 'calls'), '');
  // apt-get: fails with the dpkg lock message while `lock-failures` says so, then upgrades.
  await script(
    'apt-get',
    `echo "$@" >> "${dir}/calls"
n=$(cat "${dir}/lock-failures" 2>/dev/null || echo 0)
if [ "$n" -gt 0 ]; then
  echo $((n - 1)) > "${dir}/lock-failures"
  echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)" >&2
  exit 100
fi
if [ -f "${dir}/broken" ]; then echo "E: Unable to correct problems, you have held broken packages." >&2; exit 100; fi
case "$*" in *--simulate*) echo "Inst openssh-server [1:9.6p1-1] (1:9.6p1-3 Debian:12)"; exit 0;; esac
echo "Setting up openssh-server (1:9.6p1-3) ..."
echo "1:9.6p1-3" > "${dir}/version"`,
  );
  await script('dpkg-query', `cat "${dir}/version"`);
  await script(
    'dpkg',
    `[ "$1" = "--compare-versions" ] && { [ "$2" = "$4" ] && exit 1 || exit 0; }\necho dpkg -l output`,
  );
  // fuser: the lock is "held" while the marker file exists.
  await script('fuser', `[ -f "${dir}/held" ] && { echo "$1: 4242"; exit 0; } || exit 1`);
  await writeFile(path.join(dir, 'lock-frontend'), '');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function job(kind: TAgentJob['kind'], payload: Record<string, unknown>): TAgentJob {
  return { id: 'job-1', kind, payload, summary: null, attempt: 1, createdAt: new Date().toISOString() };
}

function context(signal = new AbortController().signal, dryRun = false): JobContext & { text: () => string } {
  let out = '';
  return { signal, output: (t) => (out += t), stateDir: dir, dryRun, text: () => out };
}

const apt = (extra: { lockTimeoutMs?: number } = {}) =>
  createExecutor('apt', {
    env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
    lockRetryMs: 50,
    lockFiles: [path.join(dir, 'lock-frontend')],
    ...extra,
  });

const calls = async () =>
  (await readFile(path.join(dir, 'calls'), 'utf8')).trim().split('\n').filter(Boolean);

describe('apt executor', () => {
  it('upgrades only the package and reports the versions', async () => {
    const ctx = context();
    const outcome = await apt().run(job('fix', { packageName: 'openssh-server' }), ctx);
    expect(outcome.exitCode).toBe(0);
    expect(outcome.details).toMatchObject({
      versionBefore: '1:9.6p1-1',
      versionAfter: '1:9.6p1-3',
      lockWaits: 0,
    });
    expect(await calls()).toEqual(['install --only-upgrade -y openssh-server']);
    expect(ctx.text()).toContain('Setting up openssh-server');
  });

  it('waits for the dpkg lock (exit 100 "Could not get lock") instead of failing', async () => {
    await writeFile(path.join(dir, 'lock-failures'), '2');
    const ctx = context();
    const outcome = await apt().run(job('fix', { packageName: 'openssh-server' }), ctx);
    expect(outcome.exitCode).toBe(0);
    expect(outcome.details).toMatchObject({ lockWaits: 2, versionAfter: '1:9.6p1-3' });
    expect(await calls()).toHaveLength(3);
    expect(ctx.text().match(/holds the lock; waiting/g)).toHaveLength(2);
  });

  it('waits while fuser shows the lock file held, without starting apt-get', async () => {
    await writeFile(path.join(dir, 'held'), '');
    setTimeout(() => void unlink(path.join(dir, 'held')), 300);
    const started = Date.now();
    const outcome = await apt().run(job('fix', { packageName: 'openssh-server' }), context());
    expect(outcome.exitCode).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect((outcome.details.lockWaits as number) >= 2).toBe(true);
    expect(await calls()).toHaveLength(1);
  });

  it('fails other apt errors at once, and gives up on a lock after the timeout', async () => {
    await writeFile(path.join(dir, 'broken'), '');
    const broken = await apt().run(job('fix', { packageName: 'openssh-server' }), context());
    expect(broken.exitCode).toBe(100);
    expect(await calls()).toHaveLength(1);

    await writeFile(path.join(dir, 'lock-failures'), '1000');
    const ctx = context();
    const locked = await apt({ lockTimeoutMs: 200 }).run(job('fix', { packageName: 'openssh-server' }), ctx);
    expect(locked.exitCode).toBe(100);
    expect(locked.details).toMatchObject({ lockTimedOut: true });
    expect(ctx.text()).toContain('still locked');
  });

  it('stops waiting for the lock when the job is cancelled', async () => {
    await writeFile(path.join(dir, 'lock-failures'), '1000');
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 150);
    await expect(
      apt().run(job('fix', { packageName: 'openssh-server' }), context(abort.signal)),
    ).rejects.toBeInstanceOf(JobCancelledError);
  });

  it('previews with --simulate in dry-run mode and changes nothing', async () => {
    const outcome = await apt().run(job('fix', { packageName: 'openssh-server' }), context(undefined, true));
    expect(outcome.exitCode).toBe(0);
    expect(outcome.details).toMatchObject({
      dryRun: true,
      versionBefore: '1:9.6p1-1',
      wouldUpgradeTo: '1:9.6p1-3',
    });
    expect(await calls()).toEqual([
      'install --only-upgrade -y --simulate openssh-server',
      'install --only-upgrade --simulate openssh-server',
    ]);
  });

  it('scans: vulnerable while the installed version is older than the fixed one', async () => {
    const scan = job('scan', { packageName: 'openssh-server', fixedVersion: '1:9.6p1-3' });
    expect((await apt().run(scan, context())).details).toMatchObject({
      vulnerable: true,
      installedVersion: '1:9.6p1-1',
    });
    await apt().run(job('fix', { packageName: 'openssh-server' }), context());
    expect((await apt().run(scan, context())).details).toMatchObject({ vulnerable: false });
  });

  it('records a snapshot and applies configuration in the state folder', async () => {
    const snap = await apt().run(job('snapshot', {}), context());
    expect(await readFile(String(snap.details.snapshotFile), 'utf8')).toContain('1:9.6p1-1');
    const conf = await apt().run(job('configure', { revision: 7, config: { scan: 'daily' } }), context());
    expect(conf.details).toEqual({ appliedRevision: 7, unapplied: [] });
    expect(JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'))).toMatchObject({ revision: 7 });
  });
});

describe('simulate executor', () => {
  it('fails at the configured rate, the same way for the same seed', async () => {
    const outcomes = async (seed: number) => {
      const sim = createExecutor('simulate', { latencyMs: 0, failureRate: 0.5, seed });
      const codes: number[] = [];
      for (let i = 0; i < 20; i++)
        codes.push((await sim.run(job('fix', { packageName: `p${i}` }), context())).exitCode);
      return codes;
    };
    const a = await outcomes(42);
    expect(await outcomes(42)).toEqual(a);
    expect(a.filter((c) => c !== 0).length).toBeGreaterThan(2);
    expect(a.filter((c) => c === 0).length).toBeGreaterThan(2);
  });

  it('claims only the types it simulates: a Windows fix on a Linux-only simulated host is unsupported', async () => {
    const linuxOnly = createExecutor('simulate', { latencyMs: 0 });
    expect(linuxOnly.capabilities(false)).toMatchObject({ fixes: ['linux'], scan: false, dryRun: false });
    const ctx = context();
    const kb = await linuxOnly.run(job('fix', { type: 'windows', kbId: 'KB5034441' }), ctx);
    expect(kb).toMatchObject({ exitCode: 2, details: { unsupported: 'windows' } });
    expect(ctx.text()).toContain('unsupported on this host');
    const both = createExecutor('simulate', { latencyMs: 0, fixes: ['linux', 'windows'], missingUpdates: 3 });
    expect(both.capabilities(true)).toMatchObject({ fixes: ['linux', 'windows'], scan: true, dryRun: true });
    expect((await both.run(job('fix', { type: 'windows', kbId: 'KB5034441' }), context())).exitCode).toBe(0);
  });

  it('inventories its simulated missing updates, less those it fixed, and verifies what it fixed', async () => {
    const sim = createExecutor('simulate', { latencyMs: 0, missingUpdates: 3 });
    await sim.run(job('fix', { type: 'linux', packageName: 'sim-pkg-2' }), context());
    const scan = await sim.run(job('scan', {}), context());
    const findings = (scan.details.inventory as { findings: { packageName: string }[] }).findings;
    expect(findings.map((f) => f.packageName)).toEqual(['sim-pkg-1', 'sim-pkg-3']);
    const verify = await sim.run(
      job('scan', {
        vulnerabilities: [
          { id: 'v1', packageName: 'sim-pkg-1' },
          { id: 'v2', packageName: 'sim-pkg-2' },
        ],
      }),
      context(),
    );
    expect(verify.details.stillPresent).toEqual(['v1']);
    const dry = await sim.run(
      job('fix', { packageName: 'sim-pkg-1', fixedVersion: '1.0-2' }),
      context(undefined, true),
    );
    expect(dry.details).toMatchObject({ dryRun: true, wouldUpgradeTo: '1.0-2' });
  });
});

describe('rpm version comparison', () => {
  it('orders versions the way rpm does', () => {
    expect(compareRpmVersions('0:1.2.3-1.el9', '0:1.2.10-1.el9')).toBe(-1);
    expect(compareRpmVersions('1:1.0-1', '0:9.9-1')).toBe(1);
    expect(compareRpmVersions('2.0~rc1-1', '2.0-1')).toBe(-1);
    expect(compareRpmVersions('1.0a-1', '1.0-1')).toBe(1);
    expect(compareRpmVersions('3.0.7-24.el9', '3.0.7-24.el9')).toBe(0);
  });
});
