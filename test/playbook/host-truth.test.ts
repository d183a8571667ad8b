import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../../agent/agent.js';
import type { PackageManagerOptions } from '../../agent/executors/package-manager.js';
import { SYSTEM_TEMPLATE } from '../../domain/playbook/policy.js';
import { createTestContext, type TestContext } from '../harness.js';
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
} from '../fixtures/package-repos.js';

/**
 * The Playbook against a host's real package state (issue 12): a real agent with the real apt executor, over real
 * HTTP, against this file's API and the run's Temporal, on a scratch dpkg root fed by a local repository. Detection
 * finds the old versions, a dry run changes nothing, a fix is verified by re-reading dpkg, a "fix" the repository
 * cannot reach fails verification and stays open, and a Windows finding on a Linux host is skipped as unsupported.
 */

interface Vulnerability {
  id: string;
  name: string;
  status: string;
  source: string;
  packageName: string | null;
  installedVersion: string | null;
  fixedVersion: string | null;
  cveIds: string[];
  advisory: string | null;
  severity: string;
  fixedOutsideVigil: boolean;
}

interface TaskView {
  id: string;
  status: string;
  assets: { id: string; status: string; reason: string | null }[];
}

let ctx: TestContext;
let dir: string;
let apiKey: string;
let agent: RunningAgent | undefined;
let aptOpts: PackageManagerOptions;
let dnfOpts: PackageManagerOptions;

async function api<T>(method: string, url: string, body?: unknown, expected?: number): Promise<T> {
  const res = await ctx.request(method, url, { key: apiKey, body });
  const text = await res.text();
  if (expected !== undefined) expect(res.status, text).toBe(expected);
  return JSON.parse(text) as T;
}

async function until<T>(
  what: string,
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  ms = 120_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} never happened; last: ${JSON.stringify(last)}`);
}

const vulnerabilitiesOf = (assetId: string) =>
  api<{ items: Vulnerability[] }>(
    'GET',
    `/v1/vulnerabilities?assetId=${assetId}&limit=100`,
    undefined,
    200,
  ).then((p) => p.items);

const installed = (pkg: string) =>
  execFileSync(
    'dpkg-query',
    [`--admindir=${path.join(aptOpts.root ?? '/', 'var/lib/dpkg')}`, '-W', '-f=${Version}', pkg],
    {
      encoding: 'utf8',
    },
  );
const rpmInstalled = (pkg: string) =>
  execFileSync('rpm', [`--root=${dnfOpts.root ?? '/'}`, '-q', '--qf', '%{VERSION}-%{RELEASE}', pkg], {
    encoding: 'utf8',
    env: { ...process.env, HOME: '/root' },
  });

async function runTask(policyId: string, assetId: string, vulnerabilityIds: string[]): Promise<TaskView> {
  const created = await api<{ id: string }>(
    'POST',
    `/v1/playbook/policies/${policyId}/tasks`,
    { name: 'host truth', assets: { assetIds: [assetId] }, vulnerabilityIds, execution: { mode: 'now' } },
    201,
  );
  return until(
    'the task to end',
    () => api<TaskView>('GET', `/v1/playbook/tasks/${created.id}`, undefined, 200),
    (t) => ['Succeeded', 'PartiallyFailed', 'Failed', 'Cancelled'].includes(t.status),
  );
}

const logsOf = (taskId: string) =>
  api<{ items: { message: string }[] }>(
    'GET',
    `/v1/playbook/tasks/${taskId}/logs?limit=200`,
    undefined,
    200,
  ).then((p) => p.items.map((l) => l.message).join('\n'));

let baseUrl: string;
let policyId: string;
let dryPolicyId: string;
let enrollmentToken: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-host-truth-'));
  ctx = await createTestContext({ workers: true });
  baseUrl = await ctx.listen();
  ({ apiKey } = await ctx.createAccount('Host truth'));
  const clone = (body: unknown) =>
    api<{ id: string }>('POST', `/v1/playbook/templates/${SYSTEM_TEMPLATE.id}/clone`, body, 201);
  policyId = (await clone({ name: 'fix' })).id;
  dryPolicyId = (await clone({ name: 'preview', params: { dryRun: true } })).id;
  enrollmentToken = (
    await api<{ token: string }>('POST', '/v1/agent-enrollment-tokens', { description: 'real hosts' }, 201)
  ).token;
});

afterAll(async () => {
  await ctx?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A real agent with a real package-manager executor pointed at a scratch root, enrolled over real HTTP. */
async function enrolledAgent(
  executor: 'apt' | 'dnf',
  executorOptions: PackageManagerOptions,
  name: string,
): Promise<RunningAgent> {
  const started = startAgent({
    server: baseUrl,
    enrollToken: enrollmentToken,
    executor,
    executorOptions,
    stateDir: null,
    identity: { hostname: `${name}.example.internal`, name, osFamily: 'linux' },
    pollWaitSeconds: 5,
    heartbeatIntervalMs: 500,
  });
  await started.ready;
  return started;
}

describe.skipIf(!aptToolsPresent || !runningAsRoot)('Playbook truth on a real apt host', () => {
  let assetId: string;

  beforeAll(async () => {
    const entry = (name: string, version: string, cves: string) => ({
      version,
      suite: 'bookworm-security',
      urgency: 'high',
      text: `Security fix for ${name}: ${cves}.`,
    });
    const repo = await buildAptRepo(path.join(dir, 'repo'), [
      { name: 'vigil-demo', version: '1.0-1', changelog: [] },
      { name: 'vigil-demo', version: '1.0-2', changelog: [entry('vigil-demo', '1.0-2', 'CVE-2026-12345')] },
      { name: 'vigil-lagging', version: '2.0-1', changelog: [] },
      {
        name: 'vigil-lagging',
        version: '2.0-2',
        changelog: [entry('vigil-lagging', '2.0-2', 'CVE-2026-34567')],
      },
    ]);
    aptOpts = await createAptRoot(path.join(dir, 'root'), [repo]);
    aptInstall(aptOpts, 'vigil-demo=1.0-1');
    aptInstall(aptOpts, 'vigil-lagging=2.0-1');
    agent = await enrolledAgent('apt', aptOpts, 'apt-host');
    ({ assetId } = await agent.ready);
  });

  afterAll(async () => {
    await agent?.stop();
  });

  it('detects the missing updates when the agent enrolls, with CVE ids and the security suite', async () => {
    const found = await until(
      'the enrollment scan',
      () => vulnerabilitiesOf(assetId),
      (v) => v.length === 2,
    );
    expect(found.find((v) => v.name === 'vigil-demo')).toMatchObject({
      status: 'open',
      source: 'agent',
      packageName: 'vigil-demo',
      installedVersion: '1.0-1',
      fixedVersion: '1.0-2',
      cveIds: ['CVE-2026-12345'],
      severity: 'high',
    });
    const agentRow = await api<{ items: { capabilities?: unknown }[] }>(
      'GET',
      '/v1/audit-log?limit=50',
      undefined,
      200,
    );
    expect(JSON.stringify(agentRow.items)).toContain('"fixes":["linux"]');
  });

  it('a dry run says what it would upgrade and leaves every vulnerability open', async () => {
    const vulns = await vulnerabilitiesOf(assetId);
    const task = await runTask(
      dryPolicyId,
      assetId,
      vulns.map((v) => v.id),
    );
    expect(task.status).toBe('Succeeded');
    expect(task.assets[0]?.reason).toContain('dry run, nothing changed');
    expect(task.assets[0]?.reason).toContain('would upgrade vigil-demo from 1.0-1 to 1.0-2');
    expect(await logsOf(task.id)).toMatch(/dry run on 1 assets: nothing was changed/);
    expect((await vulnerabilitiesOf(assetId)).map((v) => v.status)).toEqual(['open', 'open']);
    expect(installed('vigil-demo')).toBe('1.0-1');
  });

  it('fixes and verifies against dpkg, then fails verification when the repository cannot reach the fixed version', async () => {
    const demo = (await vulnerabilitiesOf(assetId)).find((v) => v.name === 'vigil-demo');
    if (!demo) throw new Error('vigil-demo was not detected');
    const fixedTask = await runTask(policyId, assetId, [demo.id]);
    expect(fixedTask.status).toBe('Succeeded');
    expect(installed('vigil-demo')).toBe('1.0-2');
    expect((await vulnerabilitiesOf(assetId)).find((v) => v.id === demo.id)).toMatchObject({
      status: 'fixed',
      fixedOutsideVigil: false,
    });

    // A scanner says vigil-lagging is fixed in 2.0-3; the repository offers 2.0-2. apt exits 0 — the truth is dpkg's.
    await api('POST', '/v1/vulnerabilities', {
      items: [
        {
          assetId,
          type: 'linux',
          name: 'VIGIL-LAG-1',
          title: 'vigil-lagging needs 2.0-3',
          severity: 'critical',
          fixable: true,
          packageName: 'vigil-lagging',
          installedVersion: '2.0-1',
          fixedVersion: '2.0-3',
        },
      ],
    });
    const lag = (await vulnerabilitiesOf(assetId)).find((v) => v.name === 'VIGIL-LAG-1');
    if (!lag) throw new Error('the scanner finding was not stored');
    const failed = await runTask(policyId, assetId, [lag.id]);
    expect(failed.status).toBe('Failed');
    expect(failed.assets[0]?.reason).toContain('still vulnerable: vigil-lagging 2.0-2 < 2.0-3');
    expect(await logsOf(failed.id)).toContain('still vulnerable: vigil-lagging 2.0-2 < 2.0-3');
    expect(installed('vigil-lagging')).toBe('2.0-2');
    expect((await vulnerabilitiesOf(assetId)).find((v) => v.id === lag.id)?.status).toBe('open');
  });

  it('an on-demand scan closes what the host no longer misses as fixed outside Vigil', async () => {
    const started = await api<{ workflowId: string }>('POST', `/v1/assets/${assetId}/scan`, undefined, 202);
    const result = await ctx.temporal.client.workflow.getHandle(started.workflowId).result();
    expect(result).toMatchObject({ reported: 0, closed: 1 });
    const after = await vulnerabilitiesOf(assetId);
    // The agent's own vigil-lagging finding (fixed in 2.0-2) was closed by the scan, not by a task.
    expect(after.find((v) => v.name === 'vigil-lagging')).toMatchObject({
      status: 'fixed',
      fixedOutsideVigil: true,
    });
    expect(after.find((v) => v.name === 'VIGIL-LAG-1')?.status).toBe('open');
    await api('POST', '/v1/assets/00000000-0000-7000-8000-00000000dead/scan', undefined, 404);
  });

  it('skips a Windows fix on a host whose agent cannot run it, as unsupported', async () => {
    await api('POST', '/v1/vulnerabilities', {
      items: [
        {
          assetId,
          type: 'windows',
          name: 'KB5034441',
          title: 'Windows update',
          severity: 'high',
          fixable: true,
          kbId: 'KB5034441',
        },
      ],
    });
    const kb = (await vulnerabilitiesOf(assetId)).find((v) => v.name === 'KB5034441');
    if (!kb) throw new Error('the Windows finding was not stored');
    const task = await runTask(policyId, assetId, [kb.id]);
    expect(task.assets[0]).toMatchObject({ status: 'Skipped', reason: 'unsupported on this host: windows' });
    expect((await vulnerabilitiesOf(assetId)).find((v) => v.id === kb.id)?.status).toBe('open');
  });
});

describe.skipIf(!dnfToolsPresent || !runningAsRoot)('Playbook truth on a real dnf host', () => {
  let host: RunningAgent | undefined;
  let assetId: string;

  beforeAll(async () => {
    const repo = await buildDnfRepo(
      path.join(dir, 'dnf'),
      [
        ...VIGIL_DEMO_RPMS,
        { name: 'vigil-lagging', version: '2.0', release: '1' },
        { name: 'vigil-lagging', version: '2.0', release: '2' },
      ],
      [
        VIGIL_DEMO_ADVISORY,
        // The advisory's fix (2.0-3) is not in the repository yet, which offers 2.0-2.
        {
          id: 'VIGIL-2026-0002',
          severity: 'Critical',
          cves: ['CVE-2026-34567'],
          fixed: { name: 'vigil-lagging', version: '2.0', release: '3' },
        },
      ],
    );
    dnfOpts = await createDnfRoot(path.join(dir, 'dnf-root'), repo);
    dnfInstall(dnfOpts, 'vigil-demo-1.0-1');
    dnfInstall(dnfOpts, 'vigil-lagging-2.0-1');
    host = await enrolledAgent('dnf', dnfOpts, 'dnf-host');
    ({ assetId } = await host.ready);
  });

  afterAll(async () => {
    await host?.stop();
  });

  it('detects updateinfo advisories, previews, fixes what the repository can fix and keeps the rest open', async () => {
    const found = await until(
      'the enrollment scan',
      () => vulnerabilitiesOf(assetId),
      (v) => v.length === 2,
    );
    expect(found.find((v) => v.name === 'VIGIL-2026-0001/vigil-demo')).toMatchObject({
      advisory: 'VIGIL-2026-0001',
      cveIds: ['CVE-2026-12345'],
      severity: 'high',
      installedVersion: '0:1.0-1',
      fixedVersion: '0:1.0-2',
    });
    expect(found.find((v) => v.name === 'VIGIL-2026-0002/vigil-lagging')).toMatchObject({
      severity: 'critical',
      fixedVersion: '0:2.0-3',
    });
    const ids = found.map((v) => v.id);

    const dry = await runTask(dryPolicyId, assetId, ids);
    expect(dry.status).toBe('Succeeded');
    expect(dry.assets[0]?.reason).toContain('would upgrade vigil-demo from 0:1.0-1 to 0:1.0-2');
    expect(rpmInstalled('vigil-demo')).toBe('1.0-1');
    expect((await vulnerabilitiesOf(assetId)).every((v) => v.status === 'open')).toBe(true);

    const task = await runTask(policyId, assetId, ids);
    expect(task.status).toBe('Failed');
    expect(task.assets[0]?.reason).toContain('still vulnerable: vigil-lagging 0:2.0-2 < 0:2.0-3');
    expect(rpmInstalled('vigil-demo')).toBe('1.0-2');
    expect(rpmInstalled('vigil-lagging')).toBe('2.0-2');
    const after = await vulnerabilitiesOf(assetId);
    expect(after.find((v) => v.name === 'VIGIL-2026-0001/vigil-demo')).toMatchObject({
      status: 'fixed',
      fixedOutsideVigil: false,
    });
    expect(after.find((v) => v.name === 'VIGIL-2026-0002/vigil-lagging')?.status).toBe('open');
  });
});
