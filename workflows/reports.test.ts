import { existsSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CURRENT_COLOR } from '../services/reports/report-charts.js';
import { createReportActivities, type ReportActivities } from '../activities/reports/delivery.js';
import { linkSigningKey, signLinkToken } from '../services/reports/recipient-links.js';
import { applyRecipientLink } from '../services/reports/apply-recipient-link.js';
import { reconcileReportSchedules } from '../services/reports/reconcile-report-schedules.js';
import {
  reportScheduleOptions,
  scheduleIdFor,
  type ReportRow,
} from '../services/reports/report-schedules.js';
import { alerts, attackEvents, vulnerabilities } from '../db/schema/findings.js';
import { assets } from '../db/schema/inventory.js';
import { reportDeliveries, reports } from '../db/schema/reports.js';
import { uuidv7 } from '../domain/ids.js';
import { reportPeriod } from '../domain/reports/period.js';
import { zonedToUtc, civilDateTime } from '../domain/time-zone.js';
import { createTestContext, type TestAccount, type TestContext } from '../test/harness.js';
import { startTestSmtpServer, type ReceivedMail, type TestSmtpServer } from '../test/smtp.js';
import type { TReportDeliveryResult } from './reports.js';

const CHROMIUM = '/usr/bin/chromium';
const ZONE = 'Asia/Shanghai';

describe('report delivery on real Temporal schedules and real SMTP', () => {
  let ctx: TestContext;
  let smtp: TestSmtpServer;
  let acct: TestAccount;
  let real: ReportActivities | undefined;
  /** The next sendReportMail to this recipient fails after its SMTP send succeeded: Temporal retries it. */
  let crashAfterSendTo: string | null = null;
  let sendCalls = 0;
  const recipientIds: Record<string, string> = {};
  let dailyId = '';
  let weeklyId = '';

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await ctx.request(method, path, { key: acct.apiKey, body });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  };
  /** A raw header's value (mailparser folds List-* headers into a structured `list` object). */
  const header = (m: ReceivedMail, name: string) =>
    m.parsed.headerLines.find((h) => h.key === name.toLowerCase())?.line.replace(/^[^:]+:\s*/, '') ?? '';
  const reportMails = () => smtp.mails.filter((m) => header(m, 'List-Unsubscribe') !== '');
  const mailsTo = (email: string) => reportMails().filter((m) => m.envelopeTo.includes(email));
  const waitForReportMails = async (n: number) => {
    const deadline = Date.now() + 60_000;
    while (reportMails().length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} report mails, got ${reportMails().length}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  /** Triggers the report's schedule and waits for the run that trigger started. */
  const triggerAndWait = async (reportId: string): Promise<TReportDeliveryResult> => {
    const handle = ctx.services.temporal.schedule.getHandle(scheduleIdFor(reportId));
    const before = (await handle.describe()).info.recentActions.length;
    await handle.trigger();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const recent = (await handle.describe()).info.recentActions;
      const last = recent[recent.length - 1];
      if (recent.length > before && last) {
        return ctx.services.temporal.workflow
          .getHandle(last.action.workflow.workflowId)
          .result() as Promise<TReportDeliveryResult>;
      }
      if (Date.now() > deadline) throw new Error('the schedule did not start a run');
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const verify = async (email: string) => {
    const res = await call('POST', '/v1/email-recipients', { email });
    const id = res.body.id as string;
    recipientIds[email] = id;
    const token = signLinkToken(linkSigningKey(ctx.services.secrets), {
      purpose: 'verify',
      accountId: acct.accountId,
      recipientId: id,
      expiresAt: new Date(Date.now() + 60_000),
    });
    expect((await applyRecipientLink(ctx.services, token, 'verify')).ok).toBe(true);
  };

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    ctx = await createTestContext({
      workers: true,
      env: { SMTP_URL: smtp.url },
      extraActivities: {
        async sendReportMail(opts: Parameters<ReportActivities['sendReportMail']>[0]) {
          real ??= createReportActivities(ctx.services);
          sendCalls += 1;
          const outcome = await real.sendReportMail(opts);
          if (crashAfterSendTo === opts.recipientId) {
            crashAfterSendTo = null;
            throw new Error('simulated worker crash after the SMTP server accepted the mail');
          }
          return outcome;
        },
      },
    });
    acct = await ctx.createAccount('Delivery');

    // Findings in yesterday's Shanghai day (the Daily period) and the day before (for deltas).
    const p = reportPeriod({ type: 'daily', timeZone: ZONE, scheduledAt: new Date() });
    const inPeriod = new Date(Date.parse(p.start) + 3_600_000);
    const inPrevious = new Date(Date.parse(p.previousStart) + 3_600_000);
    const [web, db] = await ctx.services.db
      .insert(assets)
      .values([
        {
          accountId: acct.accountId,
          instanceId: 'i-web',
          name: 'web-01',
          hostname: 'web-01',
          osFamily: 'linux' as const,
          createdAt: inPrevious,
        },
        {
          accountId: acct.accountId,
          instanceId: 'i-db',
          name: 'db-01',
          hostname: 'db-01',
          osFamily: 'linux' as const,
          createdAt: inPeriod,
        },
      ])
      .returning();
    if (!web || !db) throw new Error('assets not inserted');
    const vuln = (
      assetId: string,
      name: string,
      severity: 'critical' | 'high' | 'medium',
      firstSeenAt: Date,
      fixedAt?: Date,
    ) => ({
      accountId: acct.accountId,
      assetId,
      type: 'linux' as const,
      name,
      title: `${name} in openssl`,
      severity,
      firstSeenAt,
      status: fixedAt ? ('fixed' as const) : ('open' as const),
      fixedAt: fixedAt ?? null,
    });
    await ctx.services.db
      .insert(vulnerabilities)
      .values([
        vuln(web.id, 'USN-1', 'critical', inPeriod),
        vuln(web.id, 'USN-2', 'high', inPeriod),
        vuln(db.id, 'USN-3', 'medium', inPrevious),
        vuln(db.id, 'USN-4', 'high', inPrevious, inPeriod),
      ]);
    await ctx.services.db.insert(alerts).values([
      {
        accountId: acct.accountId,
        assetId: web.id,
        externalId: 'a1',
        name: 'Reverse shell',
        severity: 'critical',
        occurredAt: inPeriod,
      },
    ]);
    await ctx.services.db.insert(attackEvents).values([
      {
        accountId: acct.accountId,
        assetId: web.id,
        externalId: 'e1',
        attackType: 'ssh brute force',
        severity: 'medium',
        blocked: true,
        occurredAt: inPeriod,
      },
    ]);

    await verify('alice@example.com');
    await verify('carol@example.com');
    // Bob was verified when he was put on the report and unsubscribed since: he gets nothing.
    await verify('bob@example.com');
    const base = {
      timeZone: ZONE,
      sendWindow: { start: '08:00', end: '10:00' },
      items: ['issueResolved', 'assets', 'alerts', 'vulnerabilities', 'baselineCheck', 'attack'],
    };
    const daily = await call('POST', '/v1/reports', {
      ...base,
      name: 'Daily EN',
      type: 'daily',
      language: 'en',
      recipients: ['alice@example.com', 'bob@example.com'],
    });
    const weekly = await call('POST', '/v1/reports', {
      ...base,
      name: '每周报告',
      type: 'weekly',
      language: 'zh-CN',
      recipients: ['carol@example.com'],
    });
    expect(daily.status).toBe(201);
    expect(weekly.status).toBe(201);
    const unsubscribe = signLinkToken(linkSigningKey(ctx.services.secrets), {
      purpose: 'unsubscribe',
      accountId: acct.accountId,
      recipientId: recipientIds['bob@example.com'] ?? '',
      expiresAt: new Date(Date.now() + 60_000),
    });
    expect((await applyRecipientLink(ctx.services, unsubscribe, 'unsubscribe')).ok).toBe(true);
    dailyId = daily.body.id as string;
    weeklyId = weekly.body.id as string;
  });

  afterAll(async () => {
    for (const id of [dailyId, weeklyId]) {
      if (id) await call('DELETE', `/v1/reports/${id}`);
    }
    await reconcileReportSchedules(ctx.services);
    await ctx?.close();
    await smtp?.close();
  });

  it('a schedule fires: one mail per verified recipient, in English and in Chinese; a retried send and a second trigger send nothing new', async () => {
    crashAfterSendTo = recipientIds['alice@example.com'] ?? null;
    const [dailyRun, weeklyRun] = await Promise.all([triggerAndWait(dailyId), triggerAndWait(weeklyId)]);
    await waitForReportMails(2);
    expect(sendCalls).toBeGreaterThanOrEqual(3); // one crashed attempt, its retry, and the weekly send
    // The retry after the crash found the ledger row sent: no second mail.
    expect(dailyRun).toMatchObject({ status: 'delivered', sent: 0, alreadySent: 1 });
    expect(weeklyRun).toMatchObject({ status: 'delivered', sent: 1 });
    expect(mailsTo('alice@example.com')).toHaveLength(1);
    expect(mailsTo('carol@example.com')).toHaveLength(1);
    expect(mailsTo('bob@example.com')).toHaveLength(0);

    const en = mailsTo('alice@example.com')[0] as ReceivedMail;
    expect(en.parsed.subject).toContain('Daily EN');
    expect(header(en, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(header(en, 'List-Unsubscribe')).toMatch(/^<http:\/\/.+\/public\/v1\/unsubscribe\?token=[\w.-]+>$/);
    expect(en.parsed.text).toContain('Vulnerabilities: 2 / 2 / ±0');
    expect(en.parsed.text).toContain('Issue Resolved: 1 / 0 / +1');
    expect(en.parsed.text).toContain('USN-4 in openssl');
    const pngs = en.parsed.attachments.filter((a) => a.contentType === 'image/png' && a.cid);
    expect(pngs).toHaveLength(2);
    expect(en.parsed.html || '').not.toContain('<svg');
    const zh = mailsTo('carol@example.com')[0] as ReceivedMail;
    expect(zh.parsed.subject).toContain('周报');
    expect(zh.parsed.html || '').toContain('lang="zh-CN"');
    expect(zh.parsed.text).toContain('本周期');

    const [ledger] = await ctx.services.db
      .select()
      .from(reportDeliveries)
      .where(eq(reportDeliveries.reportId, dailyId));
    expect(ledger).toMatchObject({ status: 'sent', attempts: 1, email: 'alice@example.com' });
    expect(ledger?.smtpResponse).toMatch(/^250/);

    const again = await triggerAndWait(dailyId);
    expect(again).toMatchObject({ status: 'delivered', sent: 0, alreadySent: 1 });
    if (!ledger) return;
    const direct = await createReportActivities(ctx.services).sendReportMail({
      runId: ledger.runId,
      recipientId: ledger.recipientId,
      claimant: ledger.claimedBy,
    });
    expect(direct).toBe('alreadySent');
    expect(reportMails()).toHaveLength(2);
  });

  it('export is the mailed HTML with the charts inlined, and headless Chromium shows the charts', async () => {
    const exportRes = await ctx.request('GET', `/v1/reports/${dailyId}/export`, { key: acct.apiKey });
    expect(exportRes.status).toBe(200);
    expect(exportRes.headers.get('content-disposition')).toMatch(
      /^attachment; filename="vigil-report-.*\.html"$/,
    );
    const file = await exportRes.text();
    const mail = mailsTo('alice@example.com')[0] as ReceivedMail;
    const unsubscribe = header(mail, 'List-Unsubscribe').replace(/^<|>$/g, '');
    let mailed = (mail.parsed.html || '')
      .split(unsubscribe)
      .join(`${ctx.services.publicUrl}/v1/email-recipients`);
    for (const a of mail.parsed.attachments) {
      mailed = mailed.split(`cid:${a.cid}`).join(`data:image/png;base64,${a.content.toString('base64')}`);
    }
    expect(file).toBe(mailed);
    expect(file).not.toContain('cid:');

    if (!existsSync(CHROMIUM)) {
      console.warn(`SKIPPED screenshot check: ${CHROMIUM} is missing (apt-get install -y chromium)`);
      return;
    }
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 700, height: 900 } });
      await page.setContent(file, { waitUntil: 'load' });
      const widths = await page.$$eval('img', (imgs) =>
        imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth),
      );
      expect(widths).toHaveLength(2);
      for (const w of widths) expect(w).toBeGreaterThan(0);
      const shot = PNG.sync.read(await page.screenshot({ fullPage: true }));
      expect(shot.width * shot.height).toBeGreaterThan(100_000);
      let bar = 0;
      for (let i = 0; i < shot.data.length; i += 4) {
        if (
          shot.data[i] === CURRENT_COLOR[0] &&
          shot.data[i + 1] === CURRENT_COLOR[1] &&
          shot.data[i + 2] === CURRENT_COLOR[2]
        )
          bar += 1;
      }
      expect(bar).toBeGreaterThan(200); // the blue "this period" bars of the trend chart are on screen
    } finally {
      await browser.close();
    }
  });

  it('Send Now is for Custom reports only; an unsubscribed recipient gets nothing more', async () => {
    expect((await call('POST', `/v1/reports/${dailyId}/send`)).status).toBe(422);
    const custom = await call('POST', '/v1/reports', {
      name: 'Incident review',
      type: 'custom',
      timeZone: ZONE,
      sendWindow: { start: '08:00', end: '10:00' },
      period: { start: new Date(Date.now() - 7 * 86_400_000).toISOString(), end: new Date().toISOString() },
      language: 'en',
      items: ['vulnerabilities', 'alerts'],
      recipients: ['alice@example.com', 'carol@example.com'],
    });
    expect(custom.status).toBe(201);
    const customId = custom.body.id as string;
    // An enabled Custom report also has its one send in the Report Time (tested below); Send Now works besides.
    expect(custom.body.scheduleId).toBe(`report:${customId}`);

    const weeklyMail = mailsTo('carol@example.com')[0] as ReceivedMail;
    const link = new URL(header(weeklyMail, 'List-Unsubscribe').replace(/^<|>$/g, ''));
    const un = await ctx.request('POST', `${link.pathname}${link.search}`, {
      body: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(un.status).toBe(200);

    const sent = await call('POST', `/v1/reports/${customId}/send`);
    expect(sent.status).toBe(202);
    expect(sent.body.workflowId).toMatch(new RegExp(`^report:${customId}:now-`));
    const result = (await ctx.services.temporal.workflow
      .getHandle(sent.body.workflowId as string)
      .result()) as TReportDeliveryResult;
    expect(result).toMatchObject({ status: 'delivered', sent: 1 });
    expect(mailsTo('carol@example.com')).toHaveLength(1);
    expect(mailsTo('alice@example.com').map((m) => m.parsed.subject)).toEqual(
      expect.arrayContaining([expect.stringContaining('Incident review')]),
    );

    const deliveries = await call('GET', `/v1/reports/${customId}/deliveries`);
    const items = deliveries.body.items as {
      id: string;
      status: string;
      email: string;
      smtpResponse: string;
    }[];
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ status: 'sent', email: 'alice@example.com' });
    const page = await ctx.request('GET', `/v1/reports/${customId}/deliveries/${items[0]?.id}/html`, {
      key: acct.apiKey,
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Incident review');
    await call('DELETE', `/v1/reports/${customId}`);
  });

  it('an enabled Custom report is mailed once inside its Report Time, afterwards only by Send Now', async () => {
    const name = 'Quarter close review';
    const created = await call('POST', '/v1/reports', {
      name,
      type: 'custom',
      timeZone: ZONE,
      sendWindow: { start: '09:00', end: '11:00' },
      period: { start: new Date(Date.now() - 3 * 86_400_000).toISOString(), end: new Date().toISOString() },
      language: 'en',
      items: ['alerts'],
      recipients: ['alice@example.com'],
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const mails = () => mailsTo('alice@example.com').filter((m) => m.parsed.subject?.includes(name));
    try {
      // The schedule holds exactly one action, at a time inside the next 09:00–11:00 Shanghai window.
      const handle = ctx.services.temporal.schedule.getHandle(scheduleIdFor(id));
      const d = await handle.describe();
      expect(d.state.remainingActions).toBe(1);
      expect(d.spec.timezone).toBe(ZONE);
      expect(d.info.nextActionTimes).toHaveLength(1);
      const next = d.info.nextActionTimes[0] as Date;
      const local = civilDateTime(next, ZONE);
      const minutes = local.hour * 60 + local.minute;
      expect(minutes).toBeGreaterThanOrEqual(9 * 60);
      expect(minutes).toBeLessThan(11 * 60 - 15);
      expect(next.getTime() - Date.now()).toBeLessThanOrEqual(2 * 86_400_000);

      // The window comes (the schedule's action runs): one mail, the report is marked, the schedule is gone.
      const first = await triggerAndWait(id);
      expect(first).toMatchObject({ status: 'delivered', sent: 1 });
      expect(mails()).toHaveLength(1);
      const after = await call('GET', `/v1/reports/${id}`);
      expect(after.body.scheduledSendAt).toEqual(expect.any(String));
      expect(after.body.scheduleId).toBeNull();
      await expect(handle.describe()).rejects.toThrow();

      // A late duplicate of the scheduled run (catch-up, a second trigger) sends nothing.
      const again = await ctx.services.temporal.workflow.execute('reportDeliveryWorkflow', {
        workflowId: `report:${id}:scheduled-duplicate`,
        taskQueue: ctx.services.taskQueues.reports,
        args: [{ accountId: acct.accountId, reportId: id, trigger: 'schedule' }],
      });
      expect(again).toMatchObject({ status: 'skipped', sent: 0 });
      // Disabling and enabling again does not re-arm it; editing its Report Time does not either.
      await call('POST', `/v1/reports/${id}/disable`);
      expect((await call('POST', `/v1/reports/${id}/enable`)).body.scheduleId).toBeNull();
      expect(
        (await call('PATCH', `/v1/reports/${id}`, { sendWindow: { start: '12:00', end: '14:00' } })).body
          .scheduleId,
      ).toBeNull();
      expect((await reconcileReportSchedules(ctx.services, { reportIds: [id] })).created).toEqual([]);
      expect(mails()).toHaveLength(1);

      // The edit kept the recipients (a PATCH without `recipients` once emptied them).
      expect((await call('GET', `/v1/reports/${id}`)).body.recipients).toEqual([
        { email: 'alice@example.com', status: 'verified' },
      ]);
      // Send Now still sends it.
      const sent = await call('POST', `/v1/reports/${id}/send`);
      expect(sent.status, JSON.stringify(sent.body)).toBe(202);
      await ctx.services.temporal.workflow.getHandle(sent.body.workflowId as string).result();
      expect(mails()).toHaveLength(2);
    } finally {
      await call('DELETE', `/v1/reports/${id}`);
    }
  });

  it('the reconciler recreates a deleted schedule and removes an orphan, leaving other deployments alone', async () => {
    const client = ctx.services.temporal;
    await client.schedule.getHandle(scheduleIdFor(dailyId)).delete();
    const [row] = await ctx.services.db.select().from(reports).where(eq(reports.id, dailyId));
    if (!row) throw new Error('daily report row missing');
    const orphan: ReportRow = { ...row, id: uuidv7() };
    const foreign: ReportRow = { ...row, id: uuidv7() };
    await client.schedule.create(reportScheduleOptions(orphan, ctx.services.taskQueues.reports));
    await client.schedule.create(reportScheduleOptions(foreign, 'another-deployment-reports'));
    try {
      // The list is eventually consistent: the orphan may take a moment to show up.
      let result = await reconcileReportSchedules(ctx.services);
      const created = [...result.created];
      const deadline = Date.now() + 20_000;
      while (!result.deleted.includes(orphan.id) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        result = await reconcileReportSchedules(ctx.services);
        created.push(...result.created);
      }
      expect(created).toContain(dailyId);
      expect(result.deleted).toContain(orphan.id);
      expect(result.deleted).not.toContain(foreign.id);
      expect((await client.schedule.getHandle(scheduleIdFor(dailyId)).describe()).spec.timezone).toBe(ZONE);
      await expect(client.schedule.getHandle(scheduleIdFor(orphan.id)).describe()).rejects.toThrow();
      await client.schedule.getHandle(scheduleIdFor(foreign.id)).describe();
    } finally {
      await client.schedule.getHandle(scheduleIdFor(foreign.id)).delete();
    }
  });

  it('a Monthly schedule in America/New_York keeps 08:00 local across the DST switch', async () => {
    const res = await call('POST', '/v1/reports', {
      name: 'Monthly NY',
      type: 'monthly',
      timeZone: 'America/New_York',
      sendWindow: { start: '08:00', end: '10:00' },
      language: 'en',
      items: ['vulnerabilities'],
    });
    const id = res.body.id as string;
    try {
      const d = await ctx.services.temporal.schedule.getHandle(scheduleIdFor(id)).describe();
      const times = d.info.nextActionTimes;
      expect(times.length).toBeGreaterThanOrEqual(5);
      const offsets = new Set<number>();
      for (const t of times) {
        const local = civilDateTime(t, 'America/New_York');
        const nominal = zonedToUtc(
          { year: local.year, month: local.month, day: 1, hour: 8, minute: 0 },
          'America/New_York',
        );
        const late = t.getTime() - nominal.getTime();
        expect(local.day).toBe(1);
        expect(late).toBeGreaterThanOrEqual(0);
        expect(late).toBeLessThanOrEqual(105 * 60_000); // inside the send window (jitter)
        offsets.add(nominal.getUTCHours());
      }
      expect(offsets).toEqual(new Set([12, 13])); // EDT and EST both appear in the next months
    } finally {
      await call('DELETE', `/v1/reports/${id}`);
    }
  });
});
