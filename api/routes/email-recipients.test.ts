import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  linkSigningKey,
  signLinkToken,
  UNSUBSCRIBE_PATH,
  VERIFY_PATH,
  type TLinkPurpose,
} from '../../services/reports/recipient-links.js';
import { contractSuite, errorOf } from '../../test/contract.js';
import { body, type Page } from '../../test/harness.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../test/smtp.js';
import type { TAddRecipientBody, TEmailRecipient } from './email-recipients.js';

/** The contract of the recipient routes: another account's recipients do not exist; resend's 409 rules hold. */
// The SMTP server starts before the suite's context and (after-hooks run in reverse) closes after it.
let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startTestSmtpServer();
});
afterAll(() => smtp?.close());
const s = contractSuite({ mine: 'recipients', theirs: 'other' }, () => ({ env: { SMTP_URL: smtp.url } }));

const add = async (b: TAddRecipientBody, key = s.mine.apiKey) => {
  const res = await s.ctx.request('POST', '/v1/email-recipients', { key, body: b });
  expect(res.status).toBe(201);
  return body<TEmailRecipient>(res);
};
const list = async (key: string) =>
  (await body<Page<TEmailRecipient>>(await s.ctx.request('GET', '/v1/email-recipients', { key }))).items;
const statusOf = async (key: string, id: string) => (await list(key)).find((r) => r.id === id)?.status;
const token = (purpose: TLinkPurpose, accountId: string, recipientId: string) =>
  signLinkToken(linkSigningKey(s.ctx.services.secrets), {
    purpose,
    accountId,
    recipientId,
    expiresAt: new Date(Date.now() + 60_000),
  });
const resends = async (key: string) =>
  (
    await body<Page<unknown>>(
      await s.ctx.request('GET', '/v1/audit-log?action=email_recipient.resend_verification', { key }),
    )
  ).items.length;

describe('email recipients contract', () => {
  it("answers 404 for another account's recipient on every route, and changes nothing", async () => {
    const theirRecipient = await add({ email: 'their.team@example.com' }, s.theirs.apiKey);
    expect(theirRecipient.status).toBe('pending');
    await smtp.waitFor(1);
    const mailsBefore = smtp.mails.length;
    for (const [method, path] of [
      ['DELETE', `/v1/email-recipients/${theirRecipient.id}`],
      ['POST', `/v1/email-recipients/${theirRecipient.id}/resend-verification`],
    ] as const) {
      const res = await s.ctx.request(method, path, { key: s.mine.apiKey });
      expect(await errorOf(res), `${method} ${path}`).toEqual({ status: 404, code: 'not_found' });
    }
    expect(await statusOf(s.theirs.apiKey, theirRecipient.id)).toBe('pending');
    expect(await list(s.mine.apiKey)).toEqual([]);
    expect(smtp.mails).toHaveLength(mailsBefore);
    expect(await resends(s.theirs.apiKey)).toBe(0);

    // A link signed for my account does not reach their recipient.
    for (const [purpose, path] of [
      ['verify', VERIFY_PATH],
      ['unsubscribe', UNSUBSCRIBE_PATH],
    ] as const) {
      const res = await s.ctx.request(
        purpose === 'verify' ? 'GET' : 'POST',
        `${path}?token=${token(purpose, s.mine.accountId, theirRecipient.id)}`,
      );
      expect(res.status, purpose).toBe(400);
    }
    expect(await statusOf(s.theirs.apiKey, theirRecipient.id)).toBe('pending');
  });

  it('resend-verification answers 409 for a verified or unsubscribed address and mails nothing', async () => {
    const verified = await add({ email: 'verified@example.com' });
    const gone = await add({ email: 'gone@example.com' });
    const v = await s.ctx.request(
      'GET',
      `${VERIFY_PATH}?token=${token('verify', s.mine.accountId, verified.id)}`,
    );
    expect(v.status).toBe(200);
    const u = await s.ctx.request(
      'POST',
      `${UNSUBSCRIBE_PATH}?token=${token('unsubscribe', s.mine.accountId, gone.id)}`,
    );
    expect(u.status).toBe(200);
    expect(await statusOf(s.mine.apiKey, verified.id)).toBe('verified');
    expect(await statusOf(s.mine.apiKey, gone.id)).toBe('unsubscribed');

    await smtp.waitFor(3);
    const mailsBefore = smtp.mails.length;
    for (const r of [verified, gone]) {
      const res = await s.ctx.request('POST', `/v1/email-recipients/${r.id}/resend-verification`, {
        key: s.mine.apiKey,
      });
      expect(await errorOf(res), r.email).toEqual({ status: 409, code: 'conflict' });
    }
    expect(smtp.mails).toHaveLength(mailsBefore);
    expect(await resends(s.mine.apiKey)).toBe(0);
    expect(await statusOf(s.mine.apiKey, verified.id)).toBe('verified');
    expect(await statusOf(s.mine.apiKey, gone.id)).toBe('unsubscribed');
  });

  it('adding a known address again answers 200 with the same recipient; a bad address is a 400', async () => {
    const first = await add({ email: 'twice@example.com' });
    const again = await s.ctx.request('POST', '/v1/email-recipients', {
      key: s.mine.apiKey,
      body: { email: 'Twice@Example.com' } satisfies TAddRecipientBody,
    });
    expect(again.status).toBe(200);
    expect((await body<TEmailRecipient>(again)).id).toBe(first.id);
    const count = (await list(s.mine.apiKey)).length;
    const bad = await s.ctx.request('POST', '/v1/email-recipients', {
      key: s.mine.apiKey,
      body: { email: 'nope' },
    });
    expect(bad.status).toBe(400);
    expect(await list(s.mine.apiKey)).toHaveLength(count);
  });
});
