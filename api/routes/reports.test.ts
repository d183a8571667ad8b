import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkSigningKey, signLinkToken, VERIFY_PATH } from '../../services/reports/recipient-links.js';
import { scheduleIdFor } from '../../services/reports/report-schedules.js';
import { auditLog } from '../../db/schema/audit.js';
import { emailRecipients } from '../../db/schema/reports.js';
import { MAX_CUSTOM_REPORTS_PER_ACCOUNT } from '../../domain/reports/rules.js';
import { createTestContext, type TestAccount, type TestContext } from '../../test/harness.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../test/smtp.js';

interface Report {
  id: string;
  name: string;
  type: string;
  isDefault: boolean;
  enabled: boolean;
  scheduleId: string | null;
  recipients: { email: string; status: string }[];
}

const daily = {
  name: 'Ops daily',
  type: 'daily',
  timeZone: 'Asia/Shanghai',
  sendWindow: { start: '08:00', end: '10:00' },
  language: 'en',
  items: ['alerts', 'vulnerabilities'],
};

describe('security report definitions and recipients', () => {
  let ctx: TestContext;
  let smtp: TestSmtpServer;
  let acct: TestAccount;
  let other: TestAccount;

  const call = async (method: string, path: string, body?: unknown, key = acct.apiKey) => {
    const res = await ctx.request(method, path, { key, body });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  };
  const schedule = (reportId: string) => ctx.services.temporal.schedule.getHandle(scheduleIdFor(reportId));
  const scheduleGone = async (reportId: string) => {
    await expect(schedule(reportId).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  };

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    ctx = await createTestContext({ env: { SMTP_URL: smtp.url } });
    acct = await ctx.createAccount('Reports API');
    other = await ctx.createAccount('Someone else');
  });
  afterAll(async () => {
    await ctx?.close();
    await smtp?.close();
  });

  it('every account has one default report: Daily, type fixed, not deletable', async () => {
    const list = await call('GET', '/v1/reports');
    const items = list.body.items as Report[];
    expect(items).toHaveLength(1);
    const def = items[0];
    expect(def).toMatchObject({ isDefault: true, type: 'daily', enabled: true });
    if (!def) throw new Error('no default report');
    expect((await call('PATCH', `/v1/reports/${def.id}`, { type: 'weekly' })).status).toBe(422);
    expect((await call('DELETE', `/v1/reports/${def.id}`)).status).toBe(422);
    const renamed = await call('PATCH', `/v1/reports/${def.id}`, {
      name: 'Morning digest',
      language: 'zh-CN',
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Morning digest', type: 'daily', isDefault: true });
    expect((await call('GET', `/v1/reports/${def.id}`, undefined, other.apiKey)).status).toBe(404);
  });

  it.each([
    ['a send window under 2 hours', { sendWindow: { start: '08:00', end: '09:30' } }],
    ['an unknown language', { language: 'fr' }],
    ['an unknown item', { items: ['alerts', 'weather'] }],
    ['no item', { items: [] }],
    ['an unknown time zone', { timeZone: 'Mars/Olympus' }],
    ['a Custom report without period', { type: 'custom' }],
    [
      'a Custom period older than 30 days',
      {
        type: 'custom',
        period: {
          start: new Date(Date.now() - 40 * 86_400_000).toISOString(),
          end: new Date().toISOString(),
        },
      },
    ],
    [
      'a period on a Daily report',
      { period: { start: new Date(Date.now() - 86_400_000).toISOString(), end: new Date().toISOString() } },
    ],
    ['a recipient that was never added', { recipients: ['nobody@example.com'] }],
  ])('rejects %s with 422', async (_name, patch) => {
    const res = await call('POST', '/v1/reports', { ...daily, ...patch });
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect((res.body.error as { code: string }).code).toBe('unprocessable');
  });

  it('rejects unknown fields with 400', async () => {
    expect((await call('POST', '/v1/reports', { ...daily, colour: 'red' })).status).toBe(400);
  });

  it('keeps the schedule in step with create, edit, disable, enable and delete, all audited', async () => {
    const created = await call('POST', '/v1/reports', daily);
    expect(created.status).toBe(201);
    const report = created.body as unknown as Report;
    expect(report.scheduleId).toBe(`report:${report.id}`);
    let d = await schedule(report.id).describe();
    expect(d.spec.timezone).toBe('Asia/Shanghai');
    expect(d.spec.calendars?.[0]).toMatchObject({
      hour: [{ start: 8, end: 8, step: 1 }],
      minute: [{ start: 0, end: 0, step: 1 }],
    });
    expect(d.spec.jitter).toBe(105 * 60_000);
    expect(d.policies.catchupWindow).toBe(120 * 60_000);
    expect(d.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(d.action.type === 'startWorkflow' && d.action.taskQueue).toBe(ctx.services.taskQueues.reports);
    const attrs = JSON.stringify(d.typedSearchAttributes);
    expect(attrs).toContain(report.id);
    expect(attrs).not.toContain('@');

    expect(
      (
        await call('PATCH', `/v1/reports/${report.id}`, {
          type: 'weekly',
          sendWindow: { start: '22:00', end: '01:00' },
        })
      ).status,
    ).toBe(200);
    d = await schedule(report.id).describe();
    expect(d.spec.calendars?.[0]?.dayOfWeek).toEqual([{ start: 'MONDAY', end: 'MONDAY', step: 1 }]);
    expect(d.policies.catchupWindow).toBe(180 * 60_000);

    expect((await call('POST', `/v1/reports/${report.id}/disable`)).body.scheduleId).toBeNull();
    await scheduleGone(report.id);
    expect((await call('POST', `/v1/reports/${report.id}/enable`)).status).toBe(200);
    expect((await schedule(report.id).describe()).spec.timezone).toBe('Asia/Shanghai');

    const clone = await call('POST', `/v1/reports/${report.id}/clone`);
    expect(clone.status).toBe(201);
    expect(clone.body).toMatchObject({ name: 'Ops daily (copy)', isDefault: false, type: 'weekly' });
    expect((await call('DELETE', `/v1/reports/${report.id}`)).status).toBe(204);
    await scheduleGone(report.id);
    expect((await call('GET', `/v1/reports/${report.id}`)).status).toBe(404);

    const actions = (
      await ctx.services.db
        .select({ action: auditLog.action })
        .from(auditLog)
        .where(and(eq(auditLog.accountId, acct.accountId), eq(auditLog.targetId, report.id)))
    ).map((a) => a.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'report.create',
        'report.update',
        'report.disable',
        'report.enable',
        'report.delete',
      ]),
    );
    await call('DELETE', `/v1/reports/${(clone.body as unknown as Report).id}`);
  });

  it(`allows ${MAX_CUSTOM_REPORTS_PER_ACCOUNT} reports besides the default one; the next create or clone is a 422`, async () => {
    const acc = await ctx.createAccount('Limit');
    const custom = {
      ...daily,
      type: 'custom',
      period: { start: new Date(Date.now() - 7 * 86_400_000).toISOString(), end: new Date().toISOString() },
    };
    const ids: string[] = [];
    for (let i = 0; i < MAX_CUSTOM_REPORTS_PER_ACCOUNT; i++) {
      const res = await call('POST', '/v1/reports', { ...custom, name: `r${i}` }, acc.apiKey);
      expect(res.status).toBe(201);
      ids.push(res.body.id as string);
    }
    expect((await call('POST', '/v1/reports', { ...custom, name: 'tenth' }, acc.apiKey)).status).toBe(422);
    expect((await call('POST', `/v1/reports/${ids[0]}/clone`, undefined, acc.apiKey)).status).toBe(422);
    expect(
      ((await call('GET', '/v1/reports?limit=20', undefined, acc.apiKey)).body.items as Report[]).length,
    ).toBe(10);
  });

  it('adds a recipient with a signed, expiring verification link that works without an API key', async () => {
    const added = await call('POST', '/v1/email-recipients', { email: 'Sec.Team@Example.com' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ email: 'sec.team@example.com', status: 'pending' });
    const [mail] = await smtp.waitFor(1);
    const text = mail?.parsed.text ?? '';
    const link = /https?:\/\/\S+\/public\/v1\/email-recipients\/verify\?token=[\w.-]+/.exec(text)?.[0];
    expect(link, text).toBeTruthy();
    if (!link) return;
    const url = new URL(link);
    const token = url.searchParams.get('token') ?? '';

    expect((await ctx.request('GET', `${VERIFY_PATH}?token=${token.slice(0, -2)}xx`)).status).toBe(400);
    const expired = signLinkToken(linkSigningKey(ctx.services.secrets), {
      purpose: 'verify',
      accountId: acct.accountId,
      recipientId: added.body.id as string,
      expiresAt: new Date(Date.now() - 1000),
    });
    expect((await ctx.request('GET', `${VERIFY_PATH}?token=${expired}`)).status).toBe(400);
    const unsubToken = signLinkToken(linkSigningKey(ctx.services.secrets), {
      purpose: 'unsubscribe',
      accountId: acct.accountId,
      recipientId: added.body.id as string,
      expiresAt: new Date(Date.now() + 60_000),
    });
    expect((await ctx.request('GET', `${VERIFY_PATH}?token=${unsubToken}`)).status).toBe(400);

    const ok = await ctx.request('GET', `${url.pathname}${url.search}`);
    expect(ok.status).toBe(200);
    const [row] = await ctx.services.db
      .select()
      .from(emailRecipients)
      .where(eq(emailRecipients.id, added.body.id as string));
    expect(row?.status).toBe('verified');

    const withRecipient = await call('POST', '/v1/reports', {
      ...daily,
      name: 'with recipient',
      recipients: ['SEC.team@example.com'],
    });
    expect(withRecipient.status).toBe(201);
    expect(withRecipient.body.recipients).toEqual([{ email: 'sec.team@example.com', status: 'verified' }]);

    // One-click unsubscribe (RFC 8058): a POST with no login; a GET only shows the button.
    expect((await ctx.request('GET', `/public/v1/unsubscribe?token=${unsubToken}`)).status).toBe(200);
    const [still] = await ctx.services.db
      .select()
      .from(emailRecipients)
      .where(eq(emailRecipients.id, added.body.id as string));
    expect(still?.status).toBe('verified');
    const un = await ctx.request('POST', `/public/v1/unsubscribe?token=${unsubToken}`, {
      body: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(un.status).toBe(200);
    const [after] = await ctx.services.db
      .select()
      .from(emailRecipients)
      .where(eq(emailRecipients.id, added.body.id as string));
    expect(after?.status).toBe('unsubscribed');
    await call('DELETE', `/v1/reports/${withRecipient.body.id as string}`);
  });

  it('refuses a pending recipient with a 422 naming it, and resend-verification mails a new link', async () => {
    const added = await call('POST', '/v1/email-recipients', { email: 'pending.one@example.com' });
    expect(added.status).toBe(201);
    await call('POST', '/v1/email-recipients', { email: 'pending.two@example.com' });
    const before = await ctx.services.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.accountId, acct.accountId));
    const refused = await call('POST', '/v1/reports', {
      ...daily,
      name: 'with pending',
      recipients: ['Pending.One@example.com', 'pending.two@example.com'],
    });
    expect(refused.status).toBe(422);
    const message = (refused.body.error as { message: string }).message;
    expect(message).toContain('not verified yet: pending.one@example.com, pending.two@example.com');
    const after = await ctx.services.db.select().from(auditLog).where(eq(auditLog.accountId, acct.accountId));
    expect(after).toHaveLength(before.length); // nothing written
    // An edit that adds a pending address is refused the same way.
    const ok = await call('POST', '/v1/reports', { ...daily, name: 'no recipients yet' });
    expect(ok.status).toBe(201);
    const patch = await call('PATCH', `/v1/reports/${ok.body.id as string}`, {
      recipients: ['pending.one@example.com'],
    });
    expect(patch.status).toBe(422);
    expect((patch.body.error as { message: string }).message).toContain('pending.one@example.com');

    // Resend verification: a fresh link in a new mail; following it lets the report take the address.
    const mailsBefore = smtp.mails.length;
    const resent = await call('POST', `/v1/email-recipients/${added.body.id as string}/resend-verification`);
    expect(resent.status).toBe(200);
    const [mail] = (await smtp.waitFor(mailsBefore + 1)).slice(mailsBefore);
    const link = /https?:\/\/\S+\/public\/v1\/email-recipients\/verify\?token=[\w.-]+/.exec(
      mail?.parsed.text ?? '',
    )?.[0];
    expect(link).toBeTruthy();
    const url = new URL(link ?? '');
    expect((await ctx.request('GET', `${url.pathname}${url.search}`)).status).toBe(200);
    const taken = await call('PATCH', `/v1/reports/${ok.body.id as string}`, {
      recipients: ['pending.one@example.com'],
    });
    expect(taken.status).toBe(200);
    // A verified address needs no new link; another account's recipient is not found.
    expect(
      (await call('POST', `/v1/email-recipients/${added.body.id as string}/resend-verification`)).status,
    ).toBe(409);
    expect(
      (
        await call(
          'POST',
          `/v1/email-recipients/${added.body.id as string}/resend-verification`,
          undefined,
          other.apiKey,
        )
      ).status,
    ).toBe(404);
    await call('DELETE', `/v1/reports/${ok.body.id as string}`);
  });

  it('takes a weekday for Weekly, a day of month for Monthly, and a scope; the schedule follows', async () => {
    const weekly = await call('POST', '/v1/reports', {
      ...daily,
      name: 'Friday weekly',
      type: 'weekly',
      sendWeekday: 5,
      minSeverity: 'high',
    });
    expect(weekly.status).toBe(201);
    expect(weekly.body).toMatchObject({ sendWeekday: 5, minSeverity: 'high', assetGroupId: null });
    const wd = await schedule(weekly.body.id as string).describe();
    expect(wd.spec.calendars?.[0]?.dayOfWeek).toEqual([{ start: 'FRIDAY', end: 'FRIDAY', step: 1 }]);

    const monthly = await call('POST', '/v1/reports', {
      ...daily,
      name: 'Month end',
      type: 'monthly',
      sendDayOfMonth: 31,
    });
    expect(monthly.status).toBe(201);
    const md = await schedule(monthly.body.id as string).describe();
    expect(md.spec.calendars).toHaveLength(4);
    for (const t of md.info.nextActionTimes) {
      const local = new Date(t.getTime() + 8 * 3_600_000); // Asia/Shanghai has no DST
      const lastDay = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 0)).getUTCDate();
      expect(local.getUTCDate()).toBe(lastDay);
    }
    // A weekday on a Monthly report, a day 32, and a foreign asset group are refused.
    expect((await call('PATCH', `/v1/reports/${monthly.body.id as string}`, { sendWeekday: 2 })).status).toBe(
      422,
    );
    expect(
      (await call('PATCH', `/v1/reports/${monthly.body.id as string}`, { sendDayOfMonth: 32 })).status,
    ).toBe(400);
    const group = await call('POST', '/v1/asset-groups', { name: 'payments' }, other.apiKey);
    expect(group.status).toBe(201);
    const foreign = await call('PATCH', `/v1/reports/${monthly.body.id as string}`, {
      assetGroupId: group.body.id as string,
    });
    expect(foreign.status).toBe(422);
    // A consolidated report needs a resource directory's management account.
    const consolidated = await call('POST', '/v1/reports', { ...daily, name: 'org', consolidated: true });
    expect(consolidated.status).toBe(422);
    await call('DELETE', `/v1/reports/${weekly.body.id as string}`);
    await call('DELETE', `/v1/reports/${monthly.body.id as string}`);
  });
});
