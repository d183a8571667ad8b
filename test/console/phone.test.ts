import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestContext, type TestAccount, type TestContext } from '../harness.js';
import { seedAdmissionDecisions } from './admission-seed.js';
import { DESKTOP, PHONE, launchChromium, signIn } from './browser.js';

vi.setConfig({ testTimeout: 120_000 });

/** Pages with wide tables fit a phone (nothing scrolls sideways); the report form and decisions as screenshots. */
const SHOTS = process.env.CONSOLE_SHOTS ?? '/tmp/console-shots';
let ctx: TestContext;
let account: TestAccount;
let baseUrl: string;
let browser: Browser;

beforeAll(async () => {
  ctx = await createTestContext();
  baseUrl = await ctx.listen();
  account = await ctx.createAccount('Phone');
  await seedAdmissionDecisions(ctx, account.apiKey, { witness: 'phone-key', cluster: 'edge-cluster-east' });
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await ctx?.close();
});

/** How far the page is wider than its viewport (0 when nothing scrolls sideways). */
const overflow = async (page: Page) =>
  (await page.evaluate<number>('document.scrollingElement.scrollWidth')) - (page.viewportSize()?.width ?? 0);

describe('the console on a phone', () => {
  it('shows admission decisions and the other wide tables at 390 px without sideways scrolling', async () => {
    const page = await signIn(browser, baseUrl, account.apiKey);
    await page.setViewportSize(PHONE);
    await page.goto('/console/signature/decisions');
    expect(await page.locator('main tbody tr').count()).toBe(2);
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(SHOTS, 'decisions-390.png'), fullPage: true });
    for (const p of [
      '/console/signature/policies',
      '/console/signature/clusters',
      '/console/api-keys',
      '/console/audit-log',
    ]) {
      await page.goto(p);
      expect(await overflow(page), p).toBeLessThanOrEqual(0);
    }
    await page.context().close();
  });

  it('draws the report form at 1280 px in both languages', async () => {
    const page = await signIn(browser, baseUrl, account.apiKey);
    await page.setViewportSize(DESKTOP);
    for (const lang of ['en', 'zh-CN'] as const) {
      await page.goto(`/console/lang?to=${lang}&back=${encodeURIComponent('/console/reports/new')}`);
      await page.selectOption('#f-type', 'weekly');
      await page.screenshot({ path: path.join(SHOTS, `report-form-${lang}-1280.png`), fullPage: true });
      expect(await page.locator('#f-sendWeekday').isVisible()).toBe(true);
      expect(await page.locator('#f-periodStart').isVisible()).toBe(false);
    }
    await page.context().close();
  });
});
