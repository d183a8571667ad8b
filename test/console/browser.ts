import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Where each page's screenshots go (gitignored; CI keeps them as artifacts). */
export const SCREENSHOT_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots');

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

/** Debian's Chromium, headless, with nothing that talks to the network by itself. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A fresh browser context (its own cookies); CSP is bypassed only so that the test can inject axe-core. */
export function newContext(browser: Browser, baseURL: string, locale = 'en-US'): Promise<BrowserContext> {
  return browser.newContext({ baseURL, viewport: DESKTOP, locale, bypassCSP: true });
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Strings, not functions: the test project has no DOM types, and the code runs in the page anyway.
  const loaded = await page.evaluate("typeof window.axe !== 'undefined'");
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate("axe.run(document, { resultTypes: ['violations'] })");
  const violations = (result as { violations: AxeViolation[] }).violations;
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Fails with each serious or critical axe-core violation the page has now, named after the page. */
export async function expectNoSeriousViolation(page: Page, name: string): Promise<void> {
  const violations = await seriousViolations(page);
  expect(
    violations.map((v) => `${v.id}: ${v.help} ${JSON.stringify(v.nodes[0]?.target)}`),
    name,
  ).toEqual([]);
}

/** A browser of its own (fresh cookies) signed in to the console with an API key, on the Overview. */
export async function signIn(
  browser: Browser,
  baseURL: string,
  key: string,
  locale = 'en-US',
): Promise<Page> {
  const context = await newContext(browser, baseURL, locale);
  const page = await context.newPage();
  await page.goto('/console/sign-in');
  await page.fill('#apiKey', key);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/console$/);
  return page;
}

/** Screenshots at 1280 px and at phone width, named after the page. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({
    path: path.join(SCREENSHOT_DIR, `${name}-1280.png`),
    fullPage: true,
    timeout: 90_000,
  });
  await page.setViewportSize(PHONE);
  await page.screenshot({
    path: path.join(SCREENSHOT_DIR, `${name}-phone.png`),
    fullPage: true,
    timeout: 90_000,
  });
  await page.setViewportSize(DESKTOP);
}
