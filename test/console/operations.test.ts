import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { body } from '../harness.js';
import { usePlaybookWorlds, type PlaybookWorld } from '../playbook/helpers.js';
import { seedAdmissionDecisions } from './admission-seed.js';
import { expectNoSeriousViolation, launchChromium, screenshots, signIn as signInAs } from './browser.js';

vi.setConfig({ testTimeout: 240_000 });

/**
 * The console's operations beyond the first pages: scan now, admission decisions, notification channels and
 * resource directory invitations; then every page of the console, in both languages, through axe-core and into
 * screenshots.
 */
const worlds = usePlaybookWorlds();
let w: PlaybookWorld;
let browser: Browser;
let viewerKey: string;
let assetId: string;
const started = Date.now();

beforeAll(async () => {
  w = await worlds.world({
    assets: 1,
    vulnerabilitiesPerAsset: 1,
    agent: { latencyMs: 100, missingUpdates: 2 },
  });
  assetId = w.fleet.assets[0]?.id ?? '';
  viewerKey = (await api<{ key: string }>('POST', '/v1/api-keys', { name: 'viewer', role: 'viewer' })).key;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  console.log(`console operations browser tests took ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

async function api<T>(method: string, p: string, payload?: unknown, key = w.apiKey): Promise<T> {
  const res = await w.ctx.request(method, p, { key, body: payload });
  expect(res.status, `${method} ${p}`).toBeLessThan(300);
  return res.status === 204 ? (undefined as T) : body<T>(res);
}

const signIn = (key: string, locale = 'en-US') => signInAs(browser, w.baseUrl, key, locale);

/** The page's language, remembered in a cookie as the header's switch sets it. */
async function language(page: Page, to: 'en' | 'zh-CN'): Promise<void> {
  const back = new URL(page.url()).pathname;
  await page.goto(`/console/lang?to=${to}&back=${encodeURIComponent(back)}`);
}

/** The count of mutating forms in the page's main part (a viewer must see none). */
const postForms = (page: Page) => page.locator('main form[method=post]').count();

describe('console operations in a real browser', () => {
  it('scans an asset now and shows the scan running, then its time and outcome', async () => {
    const page = await signIn(w.apiKey);
    await page.goto(`/console/assets/${assetId}`);
    // The agent scans at enrollment; "Scan now" is offered once no scan is running.
    await page.waitForSelector('#scan button:has-text("Scan now")', { timeout: 60_000 });
    const before = await api<{ items: unknown[] }>(
      'GET',
      `/v1/audit-log?targetId=${assetId}&action=vulnerability.host_scan`,
    );
    await page.click('#scan button:has-text("Scan now")');
    await page.waitForURL(/ok=/);
    // Live: the section polls until the agent's findings are applied; the page itself does not reload.
    await expect.poll(() => page.textContent('#scan-status'), { timeout: 60_000 }).toContain('Last scan');
    expect(await page.textContent('#scan-outcome')).toMatch(/2 missing updates reported/);
    const after = await api<{ items: unknown[] }>(
      'GET',
      `/v1/audit-log?targetId=${assetId}&action=vulnerability.host_scan`,
    );
    expect(after.items.length).toBe(before.items.length + 1);
    await expectNoSeriousViolation(page, 'asset scan');
    await language(page, 'zh-CN');
    expect(await page.textContent('#scan-outcome')).toContain('上报 2 个缺失更新');
    await page.context().close();
  });

  it('lists admission decisions filtered by cluster, namespace, verdict and digest, and disables a witness key', async () => {
    const seeded = await seedAdmissionDecisions(w.ctx, w.apiKey, {
      witness: 'decisions-key',
      cluster: 'edge',
    });
    const witness = { id: seeded.witnessId };
    const cluster = { id: seeded.clusterId };
    const page = await signIn(w.apiKey);
    await page.goto('/console/signature/decisions');
    expect(await page.locator('main tbody tr').count()).toBe(2);
    await page.selectOption('#f-clusterId', cluster.id);
    await page.selectOption('#f-allowed', 'false');
    await page.click('main button:has-text("Filter")');
    await page.waitForURL(/allowed=false/);
    const rows = page.locator('main tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('prod');
    expect(await rows.first().textContent()).toContain('Refused');
    await page.fill('#f-namespace', 'dev');
    await page.selectOption('#f-allowed', '');
    await page.click('main button:has-text("Filter")');
    await page.waitForURL(/namespace=dev/);
    expect(await page.locator('main tbody tr').count()).toBe(1);
    // A digest finds the decisions on every image pinned to it (the fixture Pod's api image, in both namespaces).
    await page.fill('#f-namespace', '');
    await page.fill('#f-digest', `sha256:${'a1'.repeat(32)}`);
    await page.click('main button:has-text("Filter")');
    await page.waitForURL(/digest=sha256%3Aa1/);
    expect(await page.locator('main tbody tr').count()).toBe(2);
    await page.fill('#f-digest', `sha256:${'e5'.repeat(32)}`);
    await page.click('main button:has-text("Filter")');
    await page.waitForURL(/digest=sha256%3Ae5/);
    expect(await page.locator('main tbody tr').count()).toBe(0);
    // Not a digest: the API's rule, at the field.
    await page.fill('#f-digest', 'latest');
    await page.click('main button:has-text("Filter")');
    await page.waitForURL(/digest=latest/);
    expect(await page.locator('.field-error').first().textContent()).toContain(
      'sha256:<64 lowercase hex digits>',
    );
    // Rotate, then disable the old key version and the witness from the console.
    await page.goto('/console/signature/witnesses');
    const row = page.locator('main tr', { hasText: 'decisions-key' });
    await row.locator('button:has-text("Rotate")').click();
    await page.waitForURL(/ok=/);
    await page
      .locator('main tr', { hasText: 'decisions-key' })
      .locator(`form[action$="/versions/1/disable"] button`)
      .click();
    await page.waitForURL(/ok=/);
    const w1 = await api<{ versions: { version: number; status: string }[] }>(
      'GET',
      `/v1/signature/witnesses/${witness.id}`,
    );
    expect(w1.versions.find((v) => v.version === 1)?.status).toBe('disabled');
    await page
      .locator('main tr', { hasText: 'decisions-key' })
      .locator('button:has-text("Disable")')
      .last()
      .click();
    await page.waitForURL(/ok=/);
    expect((await api<{ status: string }>('GET', `/v1/signature/witnesses/${witness.id}`)).status).toBe(
      'disabled',
    );
    await page.context().close();
  });

  it('adds, edits, tests and deletes a notification channel; errors come back at the field in Chinese', async () => {
    const page = await signIn(w.apiKey);
    await page.goto('/console/notifications');
    await language(page, 'zh-CN');
    await page.selectOption('#f-type', 'dingtalk');
    await page.fill('#f-name', '值班机器人');
    await page.fill('#f-webhook', 'https://robot.example.net/send?access_token=abc');
    await page.click('main button:has-text("创建")');
    await expect
      .poll(() => page.textContent('#f-webhook-err'))
      .toContain('不允许的 Webhook 主机 robot.example.net');
    expect(await page.inputValue('#f-type')).toBe('dingtalk');
    await language(page, 'en');
    await page.selectOption('#f-type', 'email');
    await page.fill('#f-name', 'ops mail');
    await page.fill('#f-recipients', 'ops@example.com\nsec@example.com');
    await page.click('main button:has-text("Create")');
    await page.waitForURL(/ok=/);
    const row = page.locator('main tr', { hasText: 'ops mail' });
    expect(await row.textContent()).toContain('ops@example.com, sec@example.com');
    await row.locator('a:has-text("ops mail")').click();
    await page.fill('#f-name', 'ops mail (night)');
    await page.fill('#f-recipients', 'night@example.com');
    await page.click('main button:has-text("Save")');
    await page.waitForURL(/ok=/);
    expect(await page.textContent('h1')).toBe('ops mail (night)');
    expect(await page.inputValue('#f-recipients')).toBe('night@example.com');
    await page.click('main button:has-text("Send test")');
    await page.waitForSelector('#test-result');
    // What the SMTP peer answered (this test run has no mail server: the test is tried once and says so).
    expect(await page.textContent('#test-result')).toMatch(/sent|failed|skipped/);
    // The test's message is among the channel's deliveries.
    await page.goto(new URL(page.url()).pathname.replace(/\/test$/, ''));
    expect(await page.locator('main tbody tr').count()).toBe(1);
    await page.goto('/console/notifications');
    await page
      .locator('main tr', { hasText: 'ops mail (night)' })
      .locator('button:has-text("Disable")')
      .click();
    await page.waitForURL(/ok=/);
    expect(await page.locator('main tr', { hasText: 'ops mail (night)' }).textContent()).toContain(
      'Disabled',
    );
    await page
      .locator('main tr', { hasText: 'ops mail (night)' })
      .locator('button:has-text("Delete")')
      .click();
    await page.waitForURL(/ok=/);
    expect(await page.locator('main tr', { hasText: 'ops mail' }).count()).toBe(0);
    await page.context().close();
  });

  it('invites accounts into the resource directory; one accepts and leaves, one declines, one is cancelled', async () => {
    await api('POST', '/v1/resource-directory', { name: 'Group' });
    const [b, cAcct, d] = [
      await w.ctx.createAccount('Branch B'),
      await w.ctx.createAccount('Branch C'),
      await w.ctx.createAccount('Branch D'),
    ];
    const admin = await signIn(w.apiKey);
    await admin.goto('/console/accounts/invitations');
    await admin.fill('#f-accountId', 'not-an-id');
    await admin.click('main button:has-text("Invite")');
    await expect.poll(() => admin.textContent('#f-accountId-err')).toBeTruthy();
    for (const a of [b, cAcct, d]) {
      await admin.fill('#f-accountId', a.accountId);
      await admin.click('main button:has-text("Invite")');
      await admin.waitForURL(/ok=/);
    }
    expect(await admin.locator('main tbody tr').count()).toBe(3);
    await admin.locator('main tr', { hasText: d.accountId }).locator('button:has-text("Cancel")').click();
    await admin.waitForURL(/ok=/);
    expect(await admin.locator('main tr', { hasText: d.accountId }).textContent()).toContain('cancelled');

    const invitee = await signIn(b.apiKey);
    await invitee.goto('/console/accounts/invitations');
    expect(await invitee.textContent('#directory-standing')).toContain('not in a resource directory');
    await invitee.locator('main tr', { hasText: 'Group' }).locator('button:has-text("Accept")').click();
    await invitee.waitForURL(/ok=/);
    expect(await invitee.textContent('#directory-standing')).toContain('Group');
    await invitee.click('main button:has-text("Leave the resource directory")');
    await invitee.waitForURL(/ok=/);
    expect(await invitee.textContent('#directory-standing')).toContain('not in a resource directory');
    await invitee.context().close();

    const decliner = await signIn(cAcct.apiKey, 'zh-CN');
    await decliner.goto('/console/accounts/invitations');
    await language(decliner, 'zh-CN');
    await decliner.locator('main tr', { hasText: 'Group' }).locator('button:has-text("拒绝")').click();
    await decliner.waitForURL(/ok=/);
    expect(await decliner.locator('main tr', { hasText: 'Group' }).textContent()).toContain('已拒绝');
    await decliner.context().close();
    await admin.context().close();
  });

  it('shows a viewer no mutating button on the new pages, and refuses their forms posted without the CSRF token', async () => {
    const channel = await api<{ id: string }>('POST', '/v1/notification-channels', {
      type: 'email',
      name: 'viewer-visible',
      recipients: ['v@example.com'],
    });
    const viewer = await signIn(viewerKey);
    for (const p of [
      `/console/assets/${assetId}`,
      '/console/notifications',
      `/console/notifications/${channel.id}`,
      '/console/accounts/invitations',
      '/console/signature/decisions',
      '/console/signature/witnesses',
    ]) {
      await viewer.goto(p);
      expect(await postForms(viewer), p).toBe(0);
    }
    await viewer.context().close();

    const admin = await signIn(w.apiKey);
    const channels = async () =>
      (await api<{ items: unknown[] }>('GET', '/v1/notification-channels')).items.length;
    const count = await channels();
    for (const [p, form] of [
      ['/console/notifications', { type: 'email', name: 'forged', recipients: 'x@example.com' }],
      [`/console/notifications/${channel.id}/delete`, {}],
      ['/console/accounts/invitations', { accountId: crypto.randomUUID() }],
      [`/console/assets/${assetId}/scan`, {}],
    ] as const) {
      const res = await admin.request.post(p, { form: { ...form, _csrf: 'forged' } });
      expect(res.status(), p).toBe(403);
    }
    expect(await channels()).toBe(count);
    await admin.context().close();
  });

  it('passes axe on every page in both languages, at 1280 px and phone width, and screenshots each', async () => {
    const tomorrow = new Date(Date.now() + 24 * 3600_000).toISOString().slice(0, 10);
    const task = await api<{ id: string }>('POST', `/v1/playbook/policies/${w.fleet.policyId}/tasks`, {
      name: 'tonight',
      assets: { assetIds: [assetId] },
      vulnerabilityIds: w.fleet.vulnerabilityIds,
      execution: { mode: 'window', start: `${tomorrow}T02:00`, end: `${tomorrow}T04:00`, timeZone: 'UTC' },
    });
    const reports = await api<{ items: { id: string }[] }>('GET', '/v1/reports');
    const templates = await api<{ items: { id: string }[] }>('GET', '/v1/playbook/templates');
    const channel = await api<{ id: string }>('POST', '/v1/notification-channels', {
      type: 'dingtalk',
      name: 'robot',
      webhook: 'https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef',
      keyword: 'Vigil',
    });
    // The invitations test may have enabled the directory already; this test also runs on its own.
    const directory = await w.ctx.request('GET', '/v1/resource-directory', { key: w.apiKey });
    if (directory.status === 404) await api('POST', '/v1/resource-directory', { name: 'Group' });
    const member = await api<{ id: string }>('POST', '/v1/resource-directory/accounts', { name: 'Shop' });
    await api('POST', '/v1/multi-account/members', { accountId: member.id });
    const pages: [string, string][] = [
      ['overview', '/console'],
      ['assets', '/console/assets'],
      ['asset', `/console/assets/${assetId}`],
      ['enrollment-tokens', '/console/assets/enrollment-tokens'],
      ['policy-center', '/console/playbook/templates'],
      ['my-policy', '/console/playbook/policies'],
      ['policy-edit', `/console/playbook/policies/${w.fleet.policyId}`],
      ['task-wizard', `/console/playbook/policies/${w.fleet.policyId}/tasks/new`],
      ['tasks', '/console/playbook/tasks'],
      ['task', `/console/playbook/tasks/${task.id}`],
      ['task-log', `/console/playbook/tasks/${task.id}/logs`],
      ['task-flow', `/console/playbook/tasks/${task.id}/flow`],
      ['reports', '/console/reports'],
      ['report-new', '/console/reports/new'],
      ['report-edit', `/console/reports/${reports.items[0]?.id ?? ''}/edit`],
      ['report-deliveries', `/console/reports/${reports.items[0]?.id ?? ''}/deliveries`],
      ['recipients', '/console/reports/recipients'],
      ['witnesses', '/console/signature/witnesses'],
      ['signatures', '/console/signature/signatures'],
      ['clusters', '/console/signature/clusters'],
      ['security-policies', '/console/signature/policies'],
      ['trusted-images', '/console/signature/trusted'],
      ['decisions', '/console/signature/decisions'],
      ['directory', '/console/accounts'],
      ['invitations', '/console/accounts/invitations'],
      ['risk-overview', '/console/accounts/overview'],
      ['member', `/console/accounts/members/${member.id}`],
      ['notifications', '/console/notifications'],
      ['notification-channel', `/console/notifications/${channel.id}`],
      ['audit-log', '/console/audit-log'],
      ['api-keys', '/console/api-keys'],
    ];
    expect(templates.items.length).toBeGreaterThan(0);
    const page = await signIn(w.apiKey);
    for (const lang of ['en', 'zh-CN'] as const) {
      await language(page, lang);
      for (const [name, p] of pages) {
        const res = await page.goto(p);
        expect(res?.status(), p).toBe(200);
        expect(await page.getAttribute('html', 'lang')).toBe(lang);
        await expectNoSeriousViolation(page, `${name} (${lang})`);
        await screenshots(page, `all-${name}-${lang}`);
      }
    }
    await page.context().close();
  });
});
