import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { emailRecipients } from '../db/schema/reports.js';
import { body, type Page, type TestContext } from './harness.js';

/** Creates one object of every kind through the API, so the tenancy walk has something to try to reach. */
export async function seedTenant(ctx: TestContext, key: string): Promise<void> {
  const send = async <T>(method: string, path: string, payload?: unknown): Promise<T> => {
    const res = await ctx.request(method, path, { key, body: payload });
    expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
    return body<T>(res);
  };
  const post = <T>(path: string, payload: unknown) => send<T>('POST', path, payload);

  const { ids } = await post<{ ids: string[] }>('/v1/assets', {
    assets: [
      { name: 'a-web-1', hostname: 'a-web-1', ips: ['10.9.0.1'], osFamily: 'linux', groups: ['a-group'] },
      { name: 'a-win-1', hostname: 'a-win-1', ips: ['10.9.0.2'], osFamily: 'windows' },
    ],
  });
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

  // Notifications and agents.
  const channel = await post<{ id: string }>('/v1/notification-channels', {
    type: 'email',
    name: 'ops mail',
    recipients: ['ops@example.com'],
  });
  await post('/v1/agent-enrollment-tokens', { expiresInHours: 1, maxUses: 2 });

  // Playbook: a policy cloned from the template and a windowed task (Waiting; no worker runs in this file).
  const templates = await send<Page<{ id: string }> | { id: string }[]>('GET', '/v1/playbook/templates');
  const template = (Array.isArray(templates) ? templates : templates.items)[0];
  expect(template).toBeDefined();
  const policy = await post<{ id: string }>(`/v1/playbook/templates/${template?.id ?? ''}/clone`, {
    name: 'a policy',
  });
  const vulns = await send<Page<{ id: string; type: string }>>('GET', '/v1/vulnerabilities?type=linux');
  const start = new Date(Date.now() + 24 * 3600_000);
  await post(`/v1/playbook/policies/${policy.id}/tasks`, {
    name: 'a task',
    assets: { assetIds: [linux] },
    vulnerabilityIds: vulns.items.map((v) => v.id),
    channelIds: [channel.id],
    execution: {
      mode: 'window',
      start: start.toISOString(),
      end: new Date(start.getTime() + 2 * 3600_000).toISOString(),
      timeZone: 'Asia/Shanghai',
    },
  });

  // Reports and recipients.
  const reader = await post<{ id: string }>('/v1/email-recipients', { email: 'reader@example.com' });
  // A report takes verified addresses only; the reader's click on the verification link, done in the database.
  await ctx.services.db
    .update(emailRecipients)
    .set({ status: 'verified', verifiedAt: new Date() })
    .where(eq(emailRecipients.id, reader.id));
  await post('/v1/reports', {
    name: 'weekly',
    type: 'weekly',
    sendWindow: { start: '08:00', end: '11:00' },
    language: 'en',
    items: ['assets', 'alerts'],
    recipients: ['reader@example.com'],
    enabled: false,
  });

  // Container signature.
  const witness = await post<{ id: string }>('/v1/signature/witnesses', { name: 'prod signer' });
  const cluster = await post<{ id: string }>('/v1/clusters', { name: 'prod cluster' });
  await post('/v1/signature/signatures', {
    image: `registry.example.com/app@sha256:${'ab'.repeat(32)}`,
    witnessId: witness.id,
  });
  await post('/v1/signature/policies', {
    name: 'prod policy',
    witnessId: witness.id,
    clusterId: cluster.id,
    namespaces: ['default'],
  });
  await post('/v1/signature/registry-credentials', {
    registry: 'registry.example.com',
    username: 'ci',
    password: 'secret',
  });

  // Multi-account: a directory with one member account.
  await post('/v1/resource-directory', { name: 'a directory' });
  await post('/v1/resource-directory/accounts', { name: 'a member' });
}
