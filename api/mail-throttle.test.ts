import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../db/schema/audit.js';
import { emailRecipients } from '../db/schema/reports.js';
import { MAIL_REQUESTS_PER_ACCOUNT_PER_HOUR, MAILS_PER_RECIPIENT_PER_HOUR } from '../domain/mail-limits.js';
import { body, type ErrorEnvelope } from '../test/harness.js';
import { contractSuite } from '../test/contract.js';
import { startTestSmtpServer, type TestSmtpServer } from '../test/smtp.js';
import { MailThrottle } from './mail-throttle.js';

let smtp: TestSmtpServer;

beforeAll(async () => {
  smtp = await startTestSmtpServer();
});
afterAll(() => smtp?.close());
const s = contractSuite({ acct: 'Test account' }, () => ({ env: { SMTP_URL: smtp.url } }));

const mailsTo = (address: string) => smtp.mails.filter((m) => m.envelopeTo.includes(address)).length;

/** Waits until `address` has received `n` mails, then a little longer to see no more arrive. */
async function expectMailsTo(address: string, n: number) {
  const deadline = Date.now() + 10_000;
  while (mailsTo(address) < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(mailsTo(address)).toBe(n);
}

describe('mail-sending routes are rate limited', () => {
  it('sends a verification mail to one address at most N times an hour, then 429 with Retry-After', async () => {
    const victim = 'victim@example.com';
    for (let i = 0; i < MAILS_PER_RECIPIENT_PER_HOUR; i++) {
      const res = await s.ctx.request('POST', '/v1/email-recipients', {
        key: s.acct.apiKey,
        body: { email: victim },
      });
      expect(res.status).toBeLessThan(300);
    }
    const refused = await s.ctx.request('POST', '/v1/email-recipients', {
      key: s.acct.apiKey,
      body: { email: 'Victim@Example.com' },
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await body<ErrorEnvelope>(refused)).error.message).toContain('victim@example.com');
    // Another account cannot take its turn at the same address.
    const other = await s.ctx.createAccount('other');
    const fromOther = await s.ctx.request('POST', '/v1/email-recipients', {
      key: other.apiKey,
      body: { email: victim },
    });
    expect(fromOther.status).toBe(429);
    await expectMailsTo(victim, MAILS_PER_RECIPIENT_PER_HOUR);
  });

  it('limits channel tests per recipient: exactly N test mails, then 429', async () => {
    const created = await s.ctx.request('POST', '/v1/notification-channels', {
      key: s.acct.apiKey,
      body: { type: 'email', name: 'ops mail', recipients: ['ops@example.com'] },
    });
    expect(created.status).toBe(201);
    const { id } = await body<{ id: string }>(created);
    for (let i = 0; i < MAILS_PER_RECIPIENT_PER_HOUR; i++) {
      expect(
        (await s.ctx.request('POST', `/v1/notification-channels/${id}/test`, { key: s.acct.apiKey })).status,
      ).toBe(200);
    }
    const refused = await s.ctx.request('POST', `/v1/notification-channels/${id}/test`, {
      key: s.acct.apiKey,
    });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    await expectMailsTo('ops@example.com', MAILS_PER_RECIPIENT_PER_HOUR);
  });
});

describe('Send Now is rate limited per recipient', () => {
  it('starts N deliveries to a verified address in an hour, then 429 with nothing started or audited', async () => {
    const owner = await s.ctx.createAccount('reports');
    const address = 'board@example.com';
    await s.ctx.services.db
      .insert(emailRecipients)
      .values({ accountId: owner.accountId, email: address, status: 'verified', verifiedAt: new Date() });
    const created = await s.ctx.request('POST', '/v1/reports', {
      key: owner.apiKey,
      body: {
        name: 'board',
        type: 'custom',
        timeZone: 'Asia/Shanghai',
        sendWindow: { start: '08:00', end: '10:00' },
        language: 'en',
        items: ['alerts'],
        period: { start: new Date(Date.now() - 7 * 86_400_000).toISOString(), end: new Date().toISOString() },
        recipients: [address],
      },
    });
    expect(created.status).toBe(201);
    const { id } = await body<{ id: string }>(created);
    const send = () => s.ctx.request('POST', `/v1/reports/${id}/send`, { key: owner.apiKey });
    const started: string[] = [];
    for (let i = 0; i < MAILS_PER_RECIPIENT_PER_HOUR; i++) {
      const res = await send();
      expect(res.status).toBe(202);
      started.push((await body<{ workflowId: string }>(res)).workflowId);
    }
    const refused = await send();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    const sends = await s.ctx.services.db
      .select({ n: count() })
      .from(auditLog)
      .where(and(eq(auditLog.accountId, owner.accountId), eq(auditLog.action, 'report.send')));
    expect(sends[0]?.n).toBe(MAILS_PER_RECIPIENT_PER_HOUR);
    // No worker runs in this file: end the deliveries it started.
    for (const workflowId of started)
      await s.ctx.services.temporal.workflow.getHandle(workflowId).terminate('test over');
  });
});

describe('MailThrottle', () => {
  it('limits an account across recipients, takes nothing when it refuses, and refills over the hour', () => {
    let now = 0;
    const throttle = new MailThrottle(() => now);
    for (let i = 0; i < MAIL_REQUESTS_PER_ACCOUNT_PER_HOUR; i++) throttle.take('a', [`r${i}@example.com`]);
    expect(() => throttle.take('a', ['fresh@example.com'])).toThrow(/this account has sent/);
    // The refused call took no token from the recipient: another account still reaches it N times.
    for (let i = 0; i < MAILS_PER_RECIPIENT_PER_HOUR; i++) throttle.take('b', ['fresh@example.com']);
    expect(() => throttle.take('c', ['fresh@example.com'])).toThrow(/fresh@example.com has been sent/);
    now += 3_600_000;
    expect(() => throttle.take('a', ['fresh@example.com'])).not.toThrow();
  });
});
