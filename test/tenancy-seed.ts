import { expect } from 'vitest';
import type { TestContext } from './harness.js';

/** Creates one object of every kind through the API, so the tenancy walk has something to try to reach. */
export async function seedTenant(ctx: TestContext, key: string): Promise<void> {
  const post = async (path: string, body: unknown) => {
    const res = await ctx.request('POST', path, { key, body });
    expect(res.status, `${path}: ${await res.clone().text()}`).toBeLessThan(300);
    return res.json();
  };
  const { ids } = (await post('/v1/assets', {
    assets: [
      { name: 'a-web-1', hostname: 'a-web-1', ips: ['10.9.0.1'], osFamily: 'linux', groups: ['a-group'] },
      { name: 'a-win-1', hostname: 'a-win-1', ips: ['10.9.0.2'], osFamily: 'windows' },
    ],
  })) as { ids: string[] };
  const [linux, windows] = ids;
  const now = new Date().toISOString();
  await post('/v1/vulnerabilities', {
    items: [
      {
        assetId: linux,
        type: 'linux',
        name: 'USN-1',
        title: 'openssh',
        severity: 'high',
        fixable: true,
        packageName: 'openssh-server',
      },
      {
        assetId: windows,
        type: 'windows',
        name: 'KB5034441',
        title: 'kb',
        severity: 'critical',
        fixable: true,
        kbId: 'KB5034441',
      },
    ],
  });
  await post('/v1/alerts', {
    items: [{ externalId: 'al-1', assetId: linux, name: 'webshell', severity: 'high', occurredAt: now }],
  });
  await post('/v1/baseline-risks', {
    items: [{ assetId: linux, checkName: 'ssh root login', severity: 'medium' }],
  });
  await post('/v1/attacks', {
    items: [
      { externalId: 'at-1', assetId: linux, attackType: 'brute-force', severity: 'low', occurredAt: now },
    ],
  });
  await post('/v1/api-keys', { name: 'reader', role: 'viewer' });
}
