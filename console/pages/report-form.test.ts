import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, createTestContext, type TestAccount, type TestContext } from '../../test/harness.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../test/smtp.js';
import { consoleSession, type ConsoleTestSession } from '../test-session.js';

/** The report form's fields the API has (send day, scope, consolidated) and its errors at those fields. */
let ctx: TestContext;
let smtp: TestSmtpServer;
let account: TestAccount;
let s: ConsoleTestSession;

beforeAll(async () => {
  smtp = await startTestSmtpServer();
  ctx = await createTestContext({ env: { SMTP_URL: smtp.url } });
  account = await ctx.createAccount('Report form');
  s = await consoleSession(ctx, account.apiKey);
});
afterAll(async () => {
  await ctx?.close();
  await smtp?.close();
});

/** Step 2's "save" with every step-1 field: the defaults below, overridden by `over`. */
const save = (over: Record<string, string>) =>
  s.post('/console/reports/new', [
    ...Object.entries({
      step: '2',
      to: 'save',
      name: 'Form report',
      type: 'weekly',
      timeZone: 'Asia/Shanghai',
      sendWindowStart: '08:00',
      sendWindowEnd: '10:00',
      language: 'en',
      ...over,
    }),
    ['items', 'assets'],
  ]);

/** The error text shown at one field of the page (its `f-<name>-err` note). */
const errorAt = (html: string, name: string) =>
  new RegExp(`id="f-${name}-err"[^>]*>([^<]*)<`).exec(html)?.[1] ?? null;

describe('the report form', () => {
  it('offers weekday, day of month, asset group and minimum severity in step 1, and no consolidated option outside a directory', async () => {
    const group = await body<{ id: string }>(
      await ctx.request('POST', '/v1/asset-groups', { key: account.apiKey, body: { name: 'web servers' } }),
    );
    const html = await (await s.get('/console/reports/new')).text();
    for (const name of ['sendWeekday', 'sendDayOfMonth', 'assetGroupId', 'minSeverity']) {
      expect(html, name).toContain(`id="f-${name}"`);
    }
    expect(html).toContain(`<option value="${group.id}">web servers</option>`);
    expect(html).toContain('Wednesday');
    expect(html).not.toContain('id="f-consolidated"');
  });

  it('shows the API refusals at their fields and keeps what was typed', async () => {
    const weekday = await save({ sendWeekday: '9' });
    expect(weekday.status).toBe(422);
    const html = await weekday.text();
    expect(errorAt(html, 'sendWeekday')).toBeTruthy();
    expect(html).toContain('value="Form report"');

    const day = await save({ type: 'monthly', sendDayOfMonth: '32' });
    expect(errorAt(await day.text(), 'sendDayOfMonth')).toBeTruthy();

    const group = await save({ assetGroupId: '00000000-0000-4000-8000-000000000000' });
    expect(errorAt(await group.text(), 'assetGroupId')).toMatch(/asset group/);

    const consolidated = await save({ consolidated: 'on' });
    expect(errorAt(await consolidated.text(), 'consolidated')).toMatch(/management account/);
  });

  it('saves the send day and scope, and edits them back', async () => {
    const res = await save({ sendWeekday: '3', minSeverity: 'high' });
    expect(res.status).toBe(303);
    const reports = await body<{
      items: { id: string; name: string; sendWeekday: number | null; minSeverity: string | null }[];
    }>(await ctx.request('GET', '/v1/reports', { key: account.apiKey }));
    const saved = reports.items.find((r) => r.name === 'Form report');
    expect(saved).toMatchObject({ sendWeekday: 3, minSeverity: 'high' });
    const edit = await (await s.get(`/console/reports/${saved?.id}/edit`)).text();
    expect(edit).toMatch(/<option value="3" selected="">/);
    expect(edit).toMatch(/<option value="high" selected="">/);
  });

  it('resends a pending recipient its verification and shows when it was sent', async () => {
    const added = await body<{ id: string }>(
      await ctx.request('POST', '/v1/email-recipients', {
        key: account.apiKey,
        body: { email: 'ops@example.com' },
      }),
    );
    const page = await (await s.get('/console/reports/recipients')).text();
    expect(page).toContain(`/console/reports/recipients/${added.id}/resend`);
    expect(page).toContain('Verification mail sent');
    const resent = await s.post(`/console/reports/recipients/${added.id}/resend`, {});
    expect(resent.status).toBe(303);
    expect(resent.headers.get('location')).toContain('ok=');

    const bad = await s.post('/console/reports/recipients', { email: 'not-an-address' });
    expect(bad.status).toBe(422);
    expect(errorAt(await bad.text(), 'email')).toBeTruthy();
  });
});
