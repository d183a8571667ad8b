import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TAgentJob } from '../../domain/agent-jobs.js';
import type { THostInventory } from '../../domain/host-findings.js';
import {
  aptInstall,
  aptToolsPresent,
  buildAptRepo,
  buildDnfRepo,
  createAptRoot,
  createDnfRoot,
  dnfInstall,
  dnfToolsPresent,
  runningAsRoot,
  VIGIL_DEMO_ADVISORY,
  VIGIL_DEMO_RPMS,
} from '../../test/fixtures/package-repos.js';
import { createExecutor } from './index.js';
import type { PackageManagerOptions } from './package-manager.js';
import type { JobContext } from './types.js';

/**
 * The real apt and dnf executors against local repositories in scratch roots (no simulator, no fake commands): the
 * scan inventories what the root is missing, a dry run changes nothing, a fix is checked against the fixed version,
 * and a verification re-reads the installed version.
 */

let n = 0;
function job(kind: TAgentJob['kind'], payload: Record<string, unknown>): TAgentJob {
  return { id: `job-${++n}`, kind, payload, summary: null, attempt: 1, createdAt: new Date().toISOString() };
}

function context(dryRun = false): JobContext & { text: () => string } {
  let out = '';
  return {
    signal: new AbortController().signal,
    output: (t) => (out += t),
    stateDir: null,
    dryRun,
    text: () => out,
  };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-pm-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!aptToolsPresent || !runningAsRoot)('apt executor on a local repository', () => {
  let opts: PackageManagerOptions;
  beforeAll(async () => {
    const changelog = [
      {
        version: '1.0-2',
        suite: 'bookworm-security',
        urgency: 'high',
        text: 'Fix CVE-2026-12345 and CVE-2026-23456 (DSA-5999-1).',
      },
      {
        version: '1.0-1',
        suite: 'bookworm',
        urgency: 'medium',
        text: 'Initial release; CVE-2020-0001 was never here.',
      },
    ];
    const repo = await buildAptRepo(path.join(dir, 'apt-repo'), [
      { name: 'vigil-demo', version: '1.0-1', changelog: changelog.slice(1) },
      { name: 'vigil-demo', version: '1.0-2', changelog },
    ]);
    opts = await createAptRoot(path.join(dir, 'apt-root'), [repo]);
    aptInstall(opts, 'vigil-demo=1.0-1');
  });

  it('scans, previews, fixes and verifies with the real apt and dpkg', async () => {
    const apt = createExecutor('apt', opts);
    const scan = await apt.run(job('scan', {}), context());
    expect(scan.exitCode).toBe(0);
    const inventory = scan.details.inventory as THostInventory;
    expect(inventory.format).toBe('deb');
    expect(inventory.findings).toEqual([
      expect.objectContaining({
        name: 'vigil-demo',
        packageName: 'vigil-demo',
        installedVersion: '1.0-1',
        fixedVersion: '1.0-2',
        security: true,
        advisory: 'DSA-5999-1',
        cveIds: ['CVE-2026-12345', 'CVE-2026-23456'],
        severity: 'high',
      }),
    ]);

    const preview = context(true);
    const dry = await apt.run(job('fix', { packageName: 'vigil-demo', fixedVersion: '1.0-2' }), preview);
    expect(dry).toMatchObject({ exitCode: 0, details: { dryRun: true, wouldUpgradeTo: '1.0-2' } });
    expect(preview.text()).toContain('dry run: would upgrade vigil-demo from 1.0-1 to 1.0-2');

    const verifyBefore = await apt.run(
      job('scan', { vulnerabilities: [{ id: 'v1', packageName: 'vigil-demo', fixedVersion: '1.0-2' }] }),
      context(),
    );
    expect(verifyBefore.details).toMatchObject({ stillPresent: ['v1'] });

    // The repository offers 1.0-2 but the advisory says 1.0-3: apt exits 0, the fix is still not a fix.
    const short = context();
    const lagging = await apt.run(job('fix', { packageName: 'vigil-demo', fixedVersion: '1.0-3' }), short);
    expect(lagging.exitCode).toBe(1);
    expect(lagging.details).toMatchObject({ versionBefore: '1.0-1', versionAfter: '1.0-2' });
    expect(short.text()).toContain('still vulnerable: vigil-demo 1.0-2 < 1.0-3');

    const verified = await apt.run(
      job('scan', { vulnerabilities: [{ id: 'v1', packageName: 'vigil-demo', fixedVersion: '1.0-2' }] }),
      context(),
    );
    expect(verified.details).toMatchObject({ stillPresent: [] });
    const after = await apt.run(job('scan', {}), context());
    expect((after.details.inventory as THostInventory).findings).toEqual([]);
  });
});

describe.skipIf(!dnfToolsPresent || !runningAsRoot)('dnf executor on a local repository', () => {
  let opts: PackageManagerOptions;
  beforeAll(async () => {
    const repo = await buildDnfRepo(path.join(dir, 'dnf'), VIGIL_DEMO_RPMS, [VIGIL_DEMO_ADVISORY]);
    opts = await createDnfRoot(path.join(dir, 'dnf-root'), repo);
    dnfInstall(opts, 'vigil-demo-1.0-1');
  });

  it('scans updateinfo advisories, previews, fixes and verifies with the real dnf and rpm', async () => {
    const dnf = createExecutor('dnf', opts);
    const scan = await dnf.run(job('scan', {}), context());
    expect(scan.exitCode).toBe(0);
    expect(scan.details.inventory).toEqual({
      format: 'rpm',
      findings: [
        expect.objectContaining({
          name: 'VIGIL-2026-0001/vigil-demo',
          installedVersion: '0:1.0-1',
          fixedVersion: '0:1.0-2',
          advisory: 'VIGIL-2026-0001',
          cveIds: ['CVE-2026-12345'],
          severity: 'high',
        }),
      ],
    });

    const preview = context(true);
    const dry = await dnf.run(job('fix', { packageName: 'vigil-demo', fixedVersion: '0:1.0-2' }), preview);
    expect(dry).toMatchObject({ exitCode: 0, details: { dryRun: true, wouldUpgradeTo: '0:1.0-2' } });
    expect(preview.text()).toContain('dry run: would upgrade vigil-demo from 0:1.0-1 to 0:1.0-2');

    const fix = await dnf.run(job('fix', { packageName: 'vigil-demo', fixedVersion: '0:1.0-2' }), context());
    expect(fix).toMatchObject({
      exitCode: 0,
      details: { versionBefore: '0:1.0-1', versionAfter: '0:1.0-2' },
    });
    const verified = await dnf.run(
      job('scan', {
        vulnerabilities: [
          { id: 'ok', packageName: 'vigil-demo', fixedVersion: '0:1.0-2' },
          { id: 'short', packageName: 'vigil-demo', fixedVersion: '0:1.0-3' },
        ],
      }),
      context(),
    );
    expect(verified.details).toMatchObject({ stillPresent: ['short'] });
    const after = await dnf.run(job('scan', {}), context());
    expect((after.details.inventory as THostInventory).findings).toEqual([]);
  });
});
