import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { buildTaskNotification } from '../../services/playbook/task-notification.js';
import { playbookTasks } from '../../db/schema/playbook.js';
import { consoleTaskUrl } from '../../domain/console.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { STATIC_ASSETS } from '../../console/static/assets.js';
import { body } from '../harness.js';
import { usePlaybookWorlds, type PlaybookWorld } from '../playbook/helpers.js';
import {
  expectNoSeriousViolation,
  launchChromium,
  newContext,
  screenshots,
  signIn as signInAs,
} from './browser.js';

vi.setConfig({ testTimeout: 240_000 });

const worlds = usePlaybookWorlds();
let w: PlaybookWorld;
let browser: Browser;
let viewerKey: string;
const started = Date.now();

beforeAll(async () => {
  w = await worlds.world({
    assets: 3,
    vulnerabilitiesPerAsset: 2,
    policy: { heartbeatTimeoutSeconds: 10, maxConcurrency: 1 },
    agent: { latencyMs: 400 },
  });
  const res = await w.ctx.request('POST', '/v1/api-keys', {
    key: w.apiKey,
    body: { name: 'viewer', role: 'viewer' },
  });
  viewerKey = (await body<{ key: string }>(res)).key;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  console.log(`console browser tests took ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

const signIn = (key: string, locale = 'en-US') => signInAs(browser, w.baseUrl, key, locale);

/** Every page the tests visit: no serious or critical accessibility violation, screenshots at two widths. */
async function check(page: Page, name: string): Promise<void> {
  await expectNoSeriousViolation(page, name);
  await screenshots(page, name);
}

describe('the console in a real browser', () => {
  it('sends under 100 KB of compressed JS and CSS for the first page', () => {
    const bytes =
      STATIC_ASSETS.css.gzip.length + STATIC_ASSETS.js.gzip.length + STATIC_ASSETS.htmx.gzip.length;
    console.log(`first page JS+CSS: ${bytes} bytes gzip`);
    expect(bytes).toBeLessThan(100 * 1024);
  });

  it('signs in with an API key, refuses a wrong one at the field, switches language and remembers it', async () => {
    const context = await newContext(browser, w.baseUrl);
    const page = await context.newPage();
    await page.goto('/');
    expect(page.url()).toMatch(/\/console\/sign-in$/);
    await check(page, 'sign-in');
    await page.fill('#apiKey', 'vgl_AAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('#apiKey-err')).toContain('unknown or revoked');
    await page.fill('#apiKey', w.apiKey);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/console$/);
    const cookie = (await context.cookies()).find((c) => c.name === 'vigil_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(await page.textContent('h1')).toBe('Overview');
    await check(page, 'overview');
    await page.click('header a[hreflang="zh-CN"]');
    await expect.poll(() => page.textContent('h1')).toBe('概览');
    await page.click('nav.side a[href="/console/assets"]');
    expect(await page.textContent('h1')).toBe('资产');
    await check(page, 'assets-zh');
    await page.click('header a[hreflang="en"]');
    await expect.poll(() => page.textContent('h1')).toBe('Assets');
    await page.click('header button:has-text("Sign out")');
    await page.waitForURL(/sign-in/);
    await page.goto('/console/assets');
    expect(page.url()).toMatch(/sign-in/);
    // Signing out revoked the session itself: a copy of the cookie no longer signs anyone in.
    const copy = await newContext(browser, w.baseUrl);
    await copy.addCookies([
      { name: 'vigil_session', value: cookie?.value ?? '', url: `${w.baseUrl}/console` },
    ]);
    const copyPage = await copy.newPage();
    await copyPage.goto('/console');
    expect(copyPage.url()).toMatch(/sign-in/);
    await copy.close();
    await context.close();
  });

  it('creates a report in both languages and sees the 10-report limit refused at the form', async () => {
    const page = await signIn(w.apiKey);
    await page.goto('/console/reports');
    expect(await page.textContent('#report-limit')).toContain('1 of 10');
    await check(page, 'reports');
    await page.click('a:has-text("Create Report")');
    await page.fill('#f-name', 'Weekly operations');
    await page.selectOption('#f-type', 'weekly');
    await page.selectOption('#f-language', 'en');
    await page.fill('#f-sendWindowEnd', '09:00');
    await page.click('button:has-text("Next")');
    await check(page, 'report-step2');
    await page.click('button:has-text("Save")');
    // The 2-hour send window is the API's rule; its error comes back at the field on step 1.
    await expect.poll(() => page.locator('.field-error').first().textContent()).toMatch(/2 hours|120/);
    await check(page, 'report-step1-error');
    await page.fill('#f-sendWindowEnd', '10:00');
    await page.click('button:has-text("Next")');
    await page.click('button:has-text("Save")');
    await page.waitForURL(/\/console\/reports\?ok=/);
    await page.click('header a[hreflang="zh-CN"]');
    await page.click('a:has-text("创建报告")');
    await page.fill('#f-name', '每周安全报告');
    await page.click('button:has-text("下一步")');
    await page.click('button:has-text("保存")');
    await page.waitForURL(/\/console\/reports\?ok=/);
    expect(await page.textContent('#report-limit')).toContain('3 / 10');
    for (let i = 0; i < 7; i++) {
      const res = await w.ctx.request('POST', '/v1/reports', {
        key: w.apiKey,
        body: {
          name: `filler ${i}`,
          type: 'daily',
          sendWindow: { start: '08:00', end: '10:00' },
          language: 'en',
          items: ['assets'],
        },
      });
      expect(res.status).toBe(201);
    }
    await page.reload();
    expect(await page.textContent('#report-limit')).toContain('10 / 10');
    await page.click('a:has-text("创建报告")');
    await page.fill('#f-name', '第十一个');
    await page.click('button:has-text("下一步")');
    await page.click('button:has-text("保存")');
    await expect.poll(() => page.textContent('#form-error')).toContain('除默认报告外最多 9 个安全报告');
    await check(page, 'report-limit-zh');
    await page.context().close();
  });

  it('creates a task through the wizard (search, pick, clear, preview) and watches it run live to the end', async () => {
    const page = await signIn(w.apiKey);
    await page.goto('/console/playbook/templates');
    await check(page, 'policy-center');
    await page.goto('/console/playbook/policies');
    await check(page, 'my-policy');
    await page.click(`a[href="/console/playbook/policies/${w.fleet.policyId}/tasks/new"]`);
    await page.fill('#f-name', 'patch web');
    await page.fill('#f-asset-search', 'web-0');
    await page.waitForSelector('#search-results li');
    for (const name of ['web-01', 'web-02', 'web-03']) {
      await page.click(`#search-results button[aria-label="Select ${name}"]`);
      await expect.poll(() => page.textContent('#selected')).toContain(name);
    }
    expect(await page.textContent('#selected-count')).toBe('3');
    await page.click('#selected button[aria-label="Clear web-03"]');
    await expect.poll(() => page.textContent('#selected-count')).toBe('2');
    await page.click('button:has-text("Vulnerabilities ↻")');
    await page.waitForSelector('#vulns input[name=vulnerabilityIds]');
    const boxes = page.locator('#vulns input[name=vulnerabilityIds]');
    const n = await boxes.count();
    expect(n).toBe(2);
    for (let i = 0; i < n; i++) await boxes.nth(i).check();
    await expect.poll(() => page.textContent('#vuln-count')).toContain(`${n} of 200`);
    await check(page, 'task-wizard');
    await page.click('button:has-text("Preview")');
    await page.waitForLoadState();
    if ((await page.locator('#preview-assets').count()) === 0) console.log(await page.textContent('main'));
    await page.waitForSelector('#preview-assets');
    const previewed = await page.textContent('#preview-assets');
    expect(previewed).toContain('web-01');
    expect(previewed).not.toContain('web-03');
    await check(page, 'task-preview');
    await page.click('form button:has-text("Create")');
    await page.waitForURL(/\/console\/playbook\/tasks\/[0-9a-f-]+\?ok=/);
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });
    await page.waitForFunction(
      "document.querySelector('#h-status .badge')?.textContent === 'Succeeded'",
      undefined,
      {
        timeout: 150_000,
      },
    );
    expect(navigations).toBe(0);
    expect(await page.textContent('#log-summary')).toMatch(/Succeeded:\s*4/);
    expect(await page.locator('#task-live .flow svg').count()).toBe(1);
    await check(page, 'task-detail');
    // Every link Vigil sends for the task leads to this page: the Temporal UI's details and the notifications.
    const taskId = /tasks\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? '';
    const consoleUrl = consoleTaskUrl(w.ctx.services.publicUrl, taskId);
    const handle = w.ctx.temporal.client.workflow.getHandle(`playbook-task:${taskId}`);
    expect(await (await handle.describe()).staticDetails()).toContain(consoleUrl);
    await w.ctx.database.db
      .update(playbookTasks)
      .set({ channelIds: [randomUUID()] })
      .where(eq(playbookTasks.id, taskId));
    const message = await buildTaskNotification(w.ctx.services, { taskId, execution: 1, event: 'end' });
    expect(JSON.stringify(message)).toContain(consoleUrl);
    const consolePath = new URL(consoleUrl).pathname;
    await page.goto(`${consolePath}/flow`);
    expect(await page.locator('.flow svg').count()).toBe(1);
    await check(page, 'task-flow');
    await page.goto(consolePath);
    await page.click('a:has-text("Log →")');
    await page.waitForSelector('#log-entries details');
    await page.locator('#log-entries details').first().click();
    expect(await page.locator('#log-entries pre').first().textContent()).not.toBe('');
    await check(page, 'task-log');
    await page.context().close();
  });

  it('cancels a Waiting task from the task list', async () => {
    const tomorrow = new Date(Date.now() + 24 * 3600_000).toISOString().slice(0, 10);
    // web-03: the wizard's task cleared it, so its vulnerabilities are still open.
    const web03 = w.fleet.assets[2]?.id ?? '';
    const open = await w.ctx.request('GET', `/v1/vulnerabilities?assetId=${web03}&status=open`, {
      key: w.apiKey,
    });
    const vulnerabilityIds = (await body<{ items: { id: string }[] }>(open)).items.map((v) => v.id);
    const res = await w.ctx.request('POST', `/v1/playbook/policies/${w.fleet.policyId}/tasks`, {
      key: w.apiKey,
      body: {
        name: 'tonight',
        assets: { assetIds: [web03] },
        vulnerabilityIds,
        execution: { mode: 'window', start: `${tomorrow}T02:00`, end: `${tomorrow}T04:00`, timeZone: 'UTC' },
      },
    });
    const task = await body<{ id: string; status: string }>(res);
    expect(task.status, JSON.stringify(task)).toBe('Waiting');
    const page = await signIn(w.apiKey);
    await page.goto('/console/playbook/tasks?status=Waiting');
    await check(page, 'tasks');
    await page.click(`form[action="/console/playbook/tasks/${task.id}/cancel"] button`);
    await page.waitForURL(/ok=/);
    const after = await w.ctx.request('GET', `/v1/playbook/tasks/${task.id}`, { key: w.apiKey });
    expect((await body<{ status: string }>(after)).status).toBe('Cancelled');
    await page.context().close();
  });

  it('shows a viewer no mutating button, and refuses a form post without the CSRF token', async () => {
    const viewer = await signIn(viewerKey);
    for (const path of [
      '/console/reports',
      '/console/reports/recipients',
      '/console/playbook/templates',
      '/console/playbook/policies',
      '/console/playbook/tasks',
      '/console/assets/enrollment-tokens',
    ]) {
      await viewer.goto(path);
      expect(await viewer.locator('main form[method=post]').count(), path).toBe(0);
    }
    expect(await viewer.locator('nav.side a[href="/console/api-keys"]').count()).toBe(0);
    await check(viewer, 'viewer-enrollment-tokens');
    await viewer.context().close();

    const admin = await signIn(w.apiKey);
    const before = await w.ctx.request('GET', '/v1/reports', { key: w.apiKey });
    const count = (await body<{ items: unknown[] }>(before)).items.length;
    const form = {
      step: '2',
      to: 'save',
      name: 'forged',
      type: 'daily',
      sendWindowStart: '08:00',
      sendWindowEnd: '10:00',
      language: 'en',
      items: 'assets',
    };
    const forged = await admin.request.post('/console/reports/new', { form });
    expect(forged.status()).toBe(403);
    const wrong = await admin.request.post('/console/reports/new', {
      form: { ...form, _csrf: 'not-the-token' },
    });
    expect(wrong.status()).toBe(403);
    const after = await w.ctx.request('GET', '/v1/reports', { key: w.apiKey });
    expect((await body<{ items: unknown[] }>(after)).items.length).toBe(count);
    await admin.goto('/console/audit-log');
    await check(admin, 'audit-log');
    await admin.goto('/console/api-keys');
    await check(admin, 'api-keys');
    await admin.context().close();
  });

  it('creates a witness, a cluster and a security policy, and downloads the webhook config', async () => {
    const page = await signIn(w.apiKey);
    await page.goto('/console/signature/witnesses');
    await page.fill('#f-name', 'release-key');
    await page.click('main button:has-text("Create a witness")');
    await page.waitForURL(/ok=/);
    expect(await page.textContent('main table')).toContain('release-key');
    await check(page, 'signature-witnesses');
    await page.goto('/console/signature/clusters');
    await page.fill('#f-name', 'prod-cluster');
    await page.click('main button:has-text("Register a cluster")');
    await page.waitForSelector('#webhook-config');
    expect(await page.textContent('#webhook-config')).toContain('ValidatingWebhookConfiguration');
    await check(page, 'signature-clusters');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('main table a:has-text("Download")'),
    ]);
    const yaml = await download.createReadStream().then(async (stream) => {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
      return Buffer.concat(chunks).toString('utf8');
    });
    expect(yaml).toContain('ValidatingWebhookConfiguration');
    await page.goto('/console/signature/policies');
    await page.fill('#f-name', 'prod-only-signed');
    await page.fill('#f-namespaces', 'default, payments');
    await page.selectOption('#f-mode', 'enforce');
    await page.click('main button:has-text("Create a security policy")');
    await page.waitForURL(/ok=/);
    const row = page.locator('main tr', { hasText: 'prod-only-signed' });
    expect(await row.textContent()).toContain('Disabled');
    await row.locator('button:has-text("Enable")').click();
    await page.waitForURL(/ok=/);
    expect(await page.locator('main tr', { hasText: 'prod-only-signed' }).textContent()).toContain('Enabled');
    await check(page, 'signature-policies');
    await page.goto('/console/signature/signatures');
    await check(page, 'signature-signatures');
    await page.goto('/console/signature/trusted');
    await check(page, 'signature-trusted');
    await page.context().close();
  });

  it('creates a member account, manages it, pushes its settings and shows the rollout', async () => {
    const page = await signIn(w.apiKey);
    await page.goto('/console/accounts');
    await page.fill('#f-name', 'Group directory');
    await page.click('main button:has-text("Enable the resource directory")');
    await page.waitForURL(/ok=/);
    expect(await page.textContent('#admin-limit')).toContain('0 of 5');
    await page.fill('#f-name', 'Shop team');
    await page.click('main button:has-text("Create a member account")');
    await page.waitForSelector('#member-key');
    const row = page.locator('main tr', { hasText: 'Shop team' });
    await row.locator('button:has-text("Add to managed members")').click();
    await page.waitForURL(/ok=/);
    await check(page, 'accounts-directory');
    await page.goto('/console/accounts/overview');
    await check(page, 'accounts-overview');
    await page.click('main a:has-text("Shop team")');
    await page.selectOption('#f-protectionMode', 'protectionFirst');
    await page.click('main button:has-text("Save and push")');
    await page.waitForURL(/ok=/);
    await expect.poll(() => page.textContent('#rollout-status')).toContain('r1');
    expect(await page.inputValue('#f-protectionMode')).toBe('protectionFirst');
    await check(page, 'accounts-member');
    await page.context().close();
  });
});
