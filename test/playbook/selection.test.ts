import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../../agent/agent.js';
import { agents } from '../../db/schema/agents.js';
import { playbookTaskAssets, playbookTaskVulnerabilities } from '../../db/schema/playbook.js';
import type { TSelectionPreview } from '../../domain/playbook/task-selection.js';
import { api, usePlaybookWorlds, type PlaybookWorld } from './helpers.js';

/**
 * Asset selection a user can see before it runs: search is "contains" (never similar), exclusions apply, the preview
 * shows per tab what each asset's agent can fix, and create stores and returns exactly the preview.
 */
const playbook = usePlaybookWorlds();
let w: PlaybookWorld;
let hostAgents: RunningAgent[] = [];
const extra: Record<string, string> = {};
let linuxVulnId = '';
let kbVulnId = '';

beforeAll(async () => {
  // 20 demo hosts whose names differ by a digit or two: the trigram-similar names that used to be pulled in.
  w = await playbook.world({ prefix: 'demo', assets: 20, vulnerabilitiesPerAsset: 2 });
  const created = await api<{ ids: string[] }>(
    w,
    'POST',
    '/v1/assets',
    {
      assets: [
        {
          instanceId: 'i-pw1',
          name: 'probe-web-01',
          hostname: 'probe-web-01.lan',
          ips: ['192.168.7.1'],
          osFamily: 'linux',
        },
        {
          instanceId: 'i-pw2',
          name: 'probe-web-02',
          hostname: 'probe-web-02.lan',
          ips: ['192.168.7.2'],
          osFamily: 'linux',
        },
        {
          instanceId: 'i-pwin',
          name: 'probe-win-01',
          hostname: 'probe-win-01.lan',
          ips: ['192.168.7.3'],
          osFamily: 'windows',
        },
      ],
    },
    200,
  );
  ['probe-web-01', 'probe-web-02', 'probe-win-01'].forEach((n, i) => {
    extra[n] = created.ids[i] ?? '';
  });
  const usn = {
    type: 'linux',
    name: 'USN-7000-1',
    title: 'openssh-server vulnerability',
    severity: 'high',
    fixable: true,
    packageName: 'openssh-server',
    installedVersion: '1.0.0',
    fixedVersion: '1.0.1',
  };
  await api(w, 'POST', '/v1/vulnerabilities', {
    items: [
      { ...usn, assetId: extra['probe-web-01'] },
      { ...usn, assetId: extra['probe-web-02'] },
      {
        assetId: extra['probe-win-01'],
        type: 'windows',
        name: 'KB5034441',
        title: 'WinRE update',
        severity: 'high',
        fixable: true,
        kbId: 'KB5034441',
      },
    ],
  });
  const listed = await api<{ items: { id: string; type: string; assetId: string }[] }>(
    w,
    'GET',
    `/v1/vulnerabilities?assetId=${extra['probe-win-01']}`,
  );
  kbVulnId = listed.items[0]?.id ?? '';
  // The fleet's first vulnerability id names USN-7000-1 (see createFleet).
  const fleetVulns = await api<{ items: { id: string; name: string }[] }>(
    w,
    'GET',
    `/v1/vulnerabilities?assetId=${w.fleet.assets[0]?.id ?? ''}`,
  );
  linuxVulnId = fleetVulns.items.find((v) => v.name === 'USN-7000-1')?.id ?? '';
  // probe-web-01 and probe-win-01 run agents; probe-web-02 has none.
  const { token } = await api<{ token: string }>(w, 'POST', '/v1/agent-enrollment-tokens', {}, 201);
  hostAgents = (['probe-web-01', 'probe-win-01'] as const).map((name) =>
    startAgent({
      server: w.baseUrl,
      enrollToken: token,
      executor: 'simulate',
      stateDir: null,
      identity: {
        instanceId: name === 'probe-web-01' ? 'i-pw1' : 'i-pwin',
        name,
        hostname: `${name}.lan`,
        osFamily: name === 'probe-win-01' ? 'windows' : 'linux',
      },
      pollWaitSeconds: 5,
      backoff: { baseMs: 100, maxMs: 1000 },
    }),
  );
  await Promise.all(hostAgents.map((a) => a.ready));
  // What these agents report they can fix: Linux packages only (the Windows host's agent has no KB executor).
  await w.ctx.services.db
    .update(agents)
    .set({ capabilities: { fixes: ['linux'], scan: false, dryRun: false } })
    .where(eq(agents.assetId, extra['probe-win-01'] ?? ''));
  expect(linuxVulnId).not.toBe('');
  expect(kbVulnId).not.toBe('');
});
afterAll(async () => {
  await Promise.all(hostAgents.map((a) => a.stop()));
});

const body = (assets: unknown, vulnerabilityIds = [linuxVulnId]) => ({
  name: 'selection',
  assets,
  vulnerabilityIds,
  execution: { mode: 'window', start: inHours(24), end: inHours(26), timeZone: 'UTC' },
});
// A window a day ahead: created tasks wait and touch nothing while the test reads them.
const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

const preview = (b: unknown, expected = 200) =>
  api<TSelectionPreview>(w, 'POST', `/v1/playbook/policies/${w.fleet.policyId}/tasks/preview`, b, expected);
const names = (p: TSelectionPreview, tab: 'linux' | 'windows' | 'webcms' = 'linux') =>
  p.tabs[tab].assets.map((a) => a.name).sort();

describe('task asset selection: contains, never merely similar', () => {
  it('search "demo-17" selects demo-17 only, in any case, by name, hostname or IP', async () => {
    expect(names(await preview(body({ search: 'demo-17' })))).toEqual(['demo-17']);
    expect(names(await preview(body({ search: 'DEMO-17' })))).toEqual(['demo-17']);
    expect(names(await preview(body({ search: '17.example.internal' })))).toEqual(['demo-17']);
    // By IP: probe-web-02 has no agent, so its address stays the one given (an agent reports its host's own).
    expect(names(await preview(body({ search: '192.168.7.2' })))).toEqual(['probe-web-02']);
  });

  it('a name that is only similar selects nothing (422)', async () => {
    const r = await preview(body({ search: 'demo-71' }), 422);
    expect(JSON.stringify(r)).toContain('matches no asset');
  });

  it('search "probe-web" leaves the Windows host probe-win-01 out', async () => {
    const p = await preview(body({ search: 'probe-web' }));
    expect(names(p)).toEqual(['probe-web-01', 'probe-web-02']);
    expect(p.tabs.windows.assets).toEqual([]);
    // Asking for its KB fix through that search is refused: the KB is on no chosen asset.
    const r = await preview(body({ search: 'probe-web' }, [linuxVulnId, kbVulnId]), 422);
    expect(JSON.stringify(r)).toContain('not present on any chosen asset');
  });

  it('excludeAssetIds removes assets from what groups, ids and search select', async () => {
    const [first, second] = w.fleet.assets;
    const p = await preview(body({ search: 'demo', excludeAssetIds: [first?.id, second?.id] }));
    expect(p.assetCount).toBe(18);
    expect(names(p)).not.toContain(first?.name);
    expect(names(p)).not.toContain(second?.name);
    await preview(body({ assetIds: [first?.id], excludeAssetIds: [first?.id] }), 422);
  });
});

describe('task preview', () => {
  it('shows each tab with what every asset’s agent can and cannot fix', async () => {
    const p = await preview(body({ search: 'probe' }, [linuxVulnId, kbVulnId]));
    expect(p).toMatchObject({ assetCount: 3, vulnerabilityCount: 2, units: 3 });
    expect(p.tabs.linux.assets.map((a) => [a.name, a.fix]).sort()).toEqual([
      ['probe-web-01', 'supported'],
      ['probe-web-02', 'no agent'],
    ]);
    expect(p.tabs.linux.vulnerabilities).toEqual([
      expect.objectContaining({ name: 'USN-7000-1', assets: 2, unsupported: 1 }),
    ]);
    expect(p.tabs.windows.assets).toEqual([
      expect.objectContaining({ name: 'probe-win-01', fix: 'unsupported on this host', vulnerabilities: 1 }),
    ]);
    expect(p.tabs.windows.vulnerabilities).toEqual([
      expect.objectContaining({ id: kbVulnId, name: 'KB5034441', assets: 1, unsupported: 1 }),
    ]);
    expect(p.tabs.webcms).toEqual({ vulnerabilities: [], assets: [] });
  });

  it('create returns exactly what the preview showed, and stores exactly those assets and units', async () => {
    const b = body({ search: 'o', excludeAssetIds: [extra['probe-web-02']] }, [
      ...w.fleet.vulnerabilityIds,
      kbVulnId,
    ]);
    const before = await preview(b);
    const created = await api<{ id: string; assetCount: number; selection: TSelectionPreview }>(
      w,
      'POST',
      `/v1/playbook/policies/${w.fleet.policyId}/tasks`,
      b,
      201,
    );
    expect(created.selection).toEqual(before);
    expect(created.assetCount).toBe(before.assetCount);
    const { db } = w.ctx.services;
    const stored = await db
      .select({ assetId: playbookTaskAssets.assetId })
      .from(playbookTaskAssets)
      .where(eq(playbookTaskAssets.taskId, created.id));
    const shown = new Set(Object.values(before.tabs).flatMap((t) => t.assets.map((a) => a.id)));
    expect(stored.map((s) => s.assetId).sort()).toEqual([...shown].sort());
    const units = await db
      .select({ n: playbookTaskVulnerabilities.assetId })
      .from(playbookTaskVulnerabilities)
      .where(eq(playbookTaskVulnerabilities.taskId, created.id));
    expect(units).toHaveLength(before.units);
    expect(shown.has(extra['probe-web-02'] ?? '')).toBe(false);
    expect(shown.has(extra['probe-win-01'] ?? '')).toBe(true);
    await api(w, 'POST', `/v1/playbook/tasks/${created.id}/cancel`, undefined, 200);
  });

  it('refuses what create refuses, with the same 4xx, and writes nothing', async () => {
    await preview(
      {
        ...body({ search: 'demo' }),
        execution: { mode: 'window', start: '2020-01-01T00:00', end: '2020-01-01T02:00', timeZone: 'UTC' },
      },
      422,
    );
    await preview(body({}), 400);
    await api(
      w,
      'POST',
      `/v1/playbook/policies/00000000-0000-7000-8000-00000000dead/tasks/preview`,
      body({ search: 'demo' }),
      404,
    );
  });
});
