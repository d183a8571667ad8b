import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  linkSigningKey,
  signLinkToken,
  UNSUBSCRIBE_PATH,
  VERIFY_PATH,
  type TLinkPurpose,
} from '../../services/reports/recipient-links.js';
import {
  body,
  createTestContext,
  type ErrorEnvelope,
  type Page,
  type TestAccount,
  type TestContext,
} from '../../test/harness.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../test/smtp.js';
import type { TAddRecipientBody, TEmailRecipient } from './email-recipients.js';

/** The contract of the recipient routes: another account's recipients do not exist; resend's 409 rules hold. */
let ctx: TestContext;
let smtp: TestSmtpServer;
let mine: TestAccount;
let theirs: TestAccount;

const add = async (b: TAddRecipientBody, key = mine.apiKey) => {
  const res = await ctx.request('POST', '/v1/email-recipients', { key, body: b });
  expect(res.status).toBe(201);
  return body<TEmailRecipient>(res);
};
const list = async (key: string) =>
  (await body<Page<TEmailRecipient>>(await ctx.request('GET', '/v1/email-recipients', { key }))).items;
const statusOf = async (key: string, id: string) => (await list(key)).find((r) => r.id === id)?.status;
const token = (purpose: TLinkPurpose, accountId: string, recipientId: string) =>
  signLinkToken(linkSigningKey(ctx.services.secrets), {
    purpose,
    accountId,
    recipientId,
    expiresAt: new Date(Date.now() + 60_000),
  });
const resends = async (key: string) =>
  (
    await body<Page<unknown>>(
      await ctx.request('GET', '/v1/audit-log?action=email_recipient.resend_verification', { key }),
    )
  ).items.length;

beforeAll(async () => {
  smtp = await startTestSmtpServer();
  ctx = await createTestContext({ env: { SMTP_URL: smtp.url } });
  [mine, theirs] = await Promise.all([ctx.createAccount('recipients'), ctx.createAccount('other')]);
});
afterAll(async () => {
  await ctx?.close();
  await smtp?.close();
});

describe('email recipients contract', () => {
  it("answers 404 for another account's recipient on every route, and changes nothing", async () => {
    const theirRecipient = await add({ email: 'their.team@example.com' }, theirs.apiKey);
    expect(theirRecipient.status).toBe('pending');
    await smtp.waitFor(1);
    const mailsBefore = smtp.mails.length;
    for (const [method, path] of [
      ['DELETE', `/v1/email-recipients/${theirRecipient.id}`],
      ['POST', `/v1/email-recipients/${theirRecipient.id}/resend-verification`],
    ] as const) {
      const res = await ctx.request(method, path, { key: mine.apiKey });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect((await body<ErrorEnvelope>(res)).error.code).toBe('not_found');
    }
    expect(await statusOf(theirs.apiKey, theirRecipient.id)).toBe('pending');
    expect(await list(mine.apiKey)).toEqual([]);
    expect(smtp.mails).toHaveLength(mailsBefore);
    expect(await resends(theirs.apiKey)).toBe(0);

    // A link signed for my account does not reach their recipient.
    for (const [purpose, path] of [
      ['verify', VERIFY_PATH],
      ['unsubscribe', UNSUBSCRIBE_PATH],
    ] as const) {
      const res = await ctx.request(
        purpose === 'verify' ? 'GET' : 'POST',
        `${path}?token=${token(purpose, mine.accountId, theirRecipient.id)}`,
      );
      expect(res.status, purpose).toBe(400);
    }
    expect(await statusOf(theirs.apiKey, theirRecipient.id)).toBe('pending');
  });

  it('resend-verification answers 409 for a verified or unsubscribed address and mails nothing', async () => {
    const verified = await add({ email: 'verified@example.com' });
    const gone = await add({ email: 'gone@example.com' });
    const v = await ctx.request(
      'GET',
      `${VERIFY_PATH}?token=${token('verify', mine.accountId, verified.id)}`,
    );
    expect(v.status).toBe(200);
    const u = await ctx.request(
      'POST',
      `${UNSUBSCRIBE_PATH}?token=${token('unsubscribe', mine.accountId, gone.id)}`,
    );
    expect(u.status).toBe(200);
    expect(await statusOf(mine.apiKey, verified.id)).toBe('verified');
    expect(await statusOf(mine.apiKey, gone.id)).toBe('unsubscribed');

    await smtp.waitFor(3);
    const mailsBefore = smtp.mails.length;
    for (const r of [verified, gone]) {
      const res = await ctx.request('POST', `/v1/email-recipients/${r.id}/resend-verification`, {
        key: mine.apiKey,
      });
      expect(res.status, r.email).toBe(409);
      expect((await body<ErrorEnvelope>(res)).error.code).toBe('conflict');
    }
    expect(smtp.mails).toHaveLength(mailsBefore);
    expect(await resends(mine.apiKey)).toBe(0);
    expect(await statusOf(mine.apiKey, verified.id)).toBe('verified');
    expect(await statusOf(mine.apiKey, gone.id)).toBe('unsubscribed');
  });

  it('adding a known address again answers 200 with the same recipient; a bad address is a 400', async () => {
    const first = await add({ email: 'twice@example.com' });
    const again = await ctx.request('POST', '/v1/email-recipients', {
      key: mine.apiKey,
      body: { email: 'Twice@Example.com' } satisfies TAddRecipientBody,
    });
    expect(again.status).toBe(200);
    expect((await body<TEmailRecipient>(again)).id).toBe(first.id);
    const count = (await list(mine.apiKey)).length;
    const bad = await ctx.request('POST', '/v1/email-recipients', {
      key: mine.apiKey,
      body: { email: 'nope' },
    });
    expect(bad.status).toBe(400);
    expect(await list(mine.apiKey)).toHaveLength(count);
  });
});
