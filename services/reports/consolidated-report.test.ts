import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alerts, vulnerabilities } from '../../db/schema/findings.js';
import { assets } from '../../db/schema/inventory.js';
import { reportPeriod } from '../../domain/reports/period.js';
import { REPORT_ITEMS } from '../../domain/reports/rules.js';
import { gatherMemberStats } from './gather-member-stats.js';
import { gatherReportStats, LISTED_ROWS } from './gather-report-stats.js';
import { emailRecipients } from '../../db/schema/reports.js';
import { createTestContext, type TestAccount, type TestContext } from '../../test/harness.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../test/smtp.js';
import type { TReportDeliveryResult } from '../../workflows/reports.js';

/** Where a run of this file leaves the mails it received, to open in a browser. */
const MAIL_DIR = process.env.VIGIL_TEST_MAIL_DIR;

describe('consolidated and scoped reports, mailed over real SMTP, with CSV per item', () => {
  let ctx: TestContext;
  let smtp: TestSmtpServer;
  let mgmt: TestAccount;
  const members: { name: string; accountId: string; managed: boolean }[] = [];

  const call = async (method: string, path: string, body?: unknown, key = mgmt.apiKey) => {
    const res = await ctx.request(method, path, { key, body });
    const text = await res.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed, text };
  };
  const period = () => ({
    start: new Date(Date.now() - 7 * 86_400_000).toISOString(),
    end: new Date().toISOString(),
  });
  const seedFindings = async (accountId: string, prefix: string) => {
    const [asset] = await ctx.services.db
      .insert(assets)
      .values({
        accountId,
        instanceId: `${prefix}-i`,
        name: `${prefix}-web`,
        hostname: `${prefix}-web`,
        osFamily: 'linux',
      })
      .returning();
    if (!asset) throw new Error('no asset');
    const seen = new Date(Date.now() - 86_400_000);
    await ctx.services.db.insert(vulnerabilities).values([
      {
        accountId,
        assetId: asset.id,
        type: 'linux',
        name: `${prefix}-HIGH`,
        title: `${prefix} high openssl`,
        severity: 'high',
        firstSeenAt: seen,
      },
      {
        accountId,
        assetId: asset.id,
        type: 'linux',
        name: `${prefix}-MED`,
        title: `${prefix} medium zlib`,
        severity: 'medium',
        firstSeenAt: seen,
      },
    ]);
    await ctx.services.db.insert(alerts).values({
      accountId,
      assetId: asset.id,
      externalId: `${prefix}-a`,
      name: `${prefix} reverse shell`,
      severity: 'critical',
      occurredAt: seen,
    });
    return asset.id;
  };
  const sendAndRead = async (reportId: string) => {
    const before = smtp.mails.length;
    const sent = await call('POST', `/v1/reports/${reportId}/send`);
    expect(sent.status, sent.text).toBe(202);
    const result = (await ctx.services.temporal.workflow
      .getHandle(sent.body.workflowId as string)
      .result()) as TReportDeliveryResult;
    expect(result).toMatchObject({ status: 'delivered', sent: 1 });
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    if (!mail) throw new Error('no mail');
    return mail;
  };

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    ctx = await createTestContext({ workers: true, env: { SMTP_URL: smtp.url } });
    mgmt = await ctx.createAccount('Holding');
    expect((await call('POST', '/v1/resource-directory', { name: 'Holding group' })).status).toBe(201);
    for (const name of ['Shop Ltd', 'Bank AG', 'Lab Inc']) {
      const r = await call('POST', '/v1/resource-directory/accounts', { name });
      expect(r.status, r.text).toBe(201);
      members.push({ name, accountId: r.body.id as string, managed: r.body.managed as boolean });
    }
    // Shop and Bank are managed; Lab is in the directory but not on the managed list.
    for (const m of members.slice(0, 2)) {
      if (!m.managed) {
        const added = await call('POST', '/v1/multi-account/members', { accountId: m.accountId });
        expect(added.status, added.text).toBeLessThan(300);
      }
    }
    for (const m of members) await seedFindings(m.accountId, m.name.split(' ')[0] ?? m.name);
    await ctx.services.db.insert(emailRecipients).values({
      accountId: mgmt.accountId,
      email: 'ciso@example.com',
      status: 'verified',
      verifiedAt: new Date(),
    });
  });
  afterAll(async () => {
    await ctx?.close();
    await smtp?.close();
  });

  it('mails one section per managed member, scoped to high severity and worse, and serves each item as CSV', async () => {
    const created = await call('POST', '/v1/reports', {
      name: 'Group weekly review',
      type: 'custom',
      timeZone: 'Asia/Shanghai',
      sendWindow: { start: '08:00', end: '10:00' },
      period: period(),
      language: 'en',
      items: ['vulnerabilities', 'alerts'],
      recipients: ['ciso@example.com'],
      consolidated: true,
      minSeverity: 'high',
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;
    const mail = await sendAndRead(id);
    const html = typeof mail.parsed.html === 'string' ? mail.parsed.html : '';
    if (MAIL_DIR) writeFileSync(`${MAIL_DIR}/consolidated.html`, html);
    expect(html).toContain('Managed members (2)');
    for (const name of ['Shop Ltd', 'Bank AG']) expect(html).toContain(`${name} — Security score`);
    expect(html).not.toContain('Lab Inc');
    expect(html).toContain('Shop high openssl');
    expect(html).toContain('Bank reverse shell');
    expect(html).not.toContain('medium zlib'); // below the minimum severity
    expect(html).toContain('Scope: all assets · High severity and above');
    expect(mail.parsed.text).toContain('Managed members (2):');

    const deliveries = await call('GET', `/v1/reports/${id}/deliveries`);
    const [delivery] = deliveries.body.items as { id: string }[];
    const csvPath = `/v1/reports/${id}/deliveries/${delivery?.id ?? ''}/csv`;
    const csv = await call('GET', `${csvPath}/vulnerabilities`);
    expect(csv.status).toBe(200);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('member,kind,metric,severity,this_period,previous_period,open,title,asset,at');
    expect(lines[1]).toMatch(/^,count,added,,2,0,/); // one high per managed member; the mediums are out of scope
    expect(
      lines.some((l) => l.startsWith('Shop Ltd,finding,open_high,high,,,,Shop high openssl,Shop-web,')),
    ).toBe(true);
    expect(lines.some((l) => l.startsWith('Bank AG,count,added,,1,0'))).toBe(true);
    expect(lines.some((l) => l.includes('Lab'))).toBe(false);
    expect((await call('GET', `${csvPath}/attack`)).status).toBe(422); // not an item of this report
    expect((await call('GET', `${csvPath}/nonsense`)).status).toBe(400);
    const stranger = await ctx.createAccount('Stranger');
    expect((await call('GET', `${csvPath}/vulnerabilities`, undefined, stranger.apiKey)).status).toBe(404);
  });

  it('gathers every member in one pass with the same numbers as one account at a time', async () => {
    const period = reportPeriod({ type: 'weekly', timeZone: 'Asia/Shanghai', scheduledAt: new Date() });
    const ids = members.map((m) => m.accountId);
    const together = await gatherMemberStats(ctx.services.db, {
      accountIds: ids,
      period,
      items: REPORT_ITEMS,
      listed: LISTED_ROWS,
    });
    for (const id of ids) {
      const alone = await gatherReportStats(ctx.services.db, { accountId: id, period, items: REPORT_ITEMS });
      expect(together.get(id)).toEqual(alone);
    }
  });

  it('a member account cannot create a consolidated report; an asset group scopes a report to its assets', async () => {
    const mine = await call('POST', '/v1/assets', {
      assets: [
        { name: 'pay-1', hostname: 'pay-1', ips: ['10.1.0.1'], osFamily: 'linux', groups: ['payments'] },
        { name: 'blog-1', hostname: 'blog-1', ips: ['10.1.0.2'], osFamily: 'linux' },
      ],
    });
    expect(mine.status, mine.text).toBeLessThan(300);
    const [pay, blog] = mine.body.ids as string[];
    const seen = new Date(Date.now() - 86_400_000);
    await ctx.services.db.insert(vulnerabilities).values([
      {
        accountId: mgmt.accountId,
        assetId: pay ?? '',
        type: 'linux',
        name: 'P-1',
        title: 'payments sudo',
        severity: 'critical',
        firstSeenAt: seen,
      },
      {
        accountId: mgmt.accountId,
        assetId: blog ?? '',
        type: 'linux',
        name: 'B-1',
        title: 'blog wordpress',
        severity: 'critical',
        firstSeenAt: seen,
      },
    ]);
    const groups = await call('GET', '/v1/asset-groups');
    const group = (groups.body.items as { id: string; name: string }[]).find((g) => g.name === 'payments');
    expect(group).toBeDefined();
    const created = await call('POST', '/v1/reports', {
      name: 'Payments only',
      type: 'custom',
      timeZone: 'UTC',
      sendWindow: { start: '08:00', end: '10:00' },
      period: period(),
      language: 'zh-CN',
      items: ['vulnerabilities'],
      recipients: ['ciso@example.com'],
      assetGroupId: group?.id,
    });
    expect(created.status, created.text).toBe(201);
    const mail = await sendAndRead(created.body.id as string);
    const html = typeof mail.parsed.html === 'string' ? mail.parsed.html : '';
    if (MAIL_DIR) writeFileSync(`${MAIL_DIR}/payments-zh.html`, html);
    expect(html).toContain('payments sudo');
    expect(html).not.toContain('blog wordpress');
    expect(html).toContain('范围： 资产分组 payments');

    // A member of the directory is not its management account.
    const memberKey = await ctx.createAccount('plain');
    const refused = await call(
      'POST',
      '/v1/reports',
      {
        name: 'x',
        type: 'daily',
        sendWindow: { start: '08:00', end: '10:00' },
        language: 'en',
        items: ['alerts'],
        consolidated: true,
      },
      memberKey.apiKey,
    );
    expect(refused.status).toBe(422);
  });
});
