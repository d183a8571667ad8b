import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  linkSigningKey,
  signLinkToken,
  UNSUBSCRIBE_PATH,
  VERIFY_PATH,
  type TLinkPurpose,
} from '../../services/reports/recipient-links.js';
import { typedApi, type Page, type TypedApi } from '../../test/harness.js';
import { contractSuite } from '../../test/contract.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../test/smtp.js';
import type { TAddRecipientBody, TEmailRecipient } from './email-recipients.js';

/** The contract of the recipient routes: another account's recipients do not exist; resend's 409 rules hold. */
let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startTestSmtpServer();
});
afterAll(() => smtp?.close());
const s = contractSuite({ mine: 'recipients', theirs: 'other' }, () => ({ env: { SMTP_URL: smtp.url } }));
/** Typed calls as each account. */
let api: { mine: TypedApi; theirs: TypedApi };

const RECIPIENTS = '/v1/email-recipients';
const add = async (b: TAddRecipientBody, as = api.mine) => {
  const res = await as.post<TEmailRecipient, TAddRecipientBody>(RECIPIENTS, b);
  expect(res.status).toBe(201);
  return res.body;
};
const list = async (as: TypedApi) => (await as.get<Page<TEmailRecipient>>(RECIPIENTS)).body.items;
const statusOf = async (as: TypedApi, id: string) => (await list(as)).find((r) => r.id === id)?.status;
const token = (purpose: TLinkPurpose, accountId: string, recipientId: string) =>
  signLinkToken(linkSigningKey(s.ctx.services.secrets), {
    purpose,
    accountId,
    recipientId,
    expiresAt: new Date(Date.now() + 60_000),
  });
const resends = async (as: TypedApi) =>
  (await as.get<Page<unknown>>('/v1/audit-log?action=email_recipient.resend_verification')).body.items.length;

beforeAll(() => {
  api = { mine: typedApi(s.ctx, s.mine.apiKey), theirs: typedApi(s.ctx, s.theirs.apiKey) };
});

describe('email recipients contract', () => {
  it("answers 404 for another account's recipient on every route, and changes nothing", async () => {
    const theirRecipient = await add({ email: 'their.team@example.com' }, api.theirs);
    expect(theirRecipient.status).toBe('pending');
    await smtp.waitFor(1);
    const mailsBefore = smtp.mails.length;
    for (const res of [
      await api.mine.delete(`${RECIPIENTS}/${theirRecipient.id}`),
      await api.mine.post(`${RECIPIENTS}/${theirRecipient.id}/resend-verification`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.error?.code).toBe('not_found');
    }
    expect(await statusOf(api.theirs, theirRecipient.id)).toBe('pending');
    expect(await list(api.mine)).toEqual([]);
    expect(smtp.mails).toHaveLength(mailsBefore);
    expect(await resends(api.theirs)).toBe(0);

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
    expect(await statusOf(api.theirs, theirRecipient.id)).toBe('pending');
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
    expect(await statusOf(api.mine, verified.id)).toBe('verified');
    expect(await statusOf(api.mine, gone.id)).toBe('unsubscribed');

    await smtp.waitFor(3);
    const mailsBefore = smtp.mails.length;
    for (const r of [verified, gone]) {
      const res = await api.mine.post(`${RECIPIENTS}/${r.id}/resend-verification`);
      expect(res.status, r.email).toBe(409);
      expect(res.error?.code).toBe('conflict');
    }
    expect(smtp.mails).toHaveLength(mailsBefore);
    expect(await resends(api.mine)).toBe(0);
    expect(await statusOf(api.mine, verified.id)).toBe('verified');
    expect(await statusOf(api.mine, gone.id)).toBe('unsubscribed');
  });

  it('adding a known address again answers 200 with the same recipient; a bad address is a 400', async () => {
    const first = await add({ email: 'twice@example.com' });
    const again = await api.mine.post<TEmailRecipient, TAddRecipientBody>(RECIPIENTS, {
      email: 'Twice@Example.com',
    });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.id);
    const count = (await list(api.mine)).length;
    const bad = await api.mine.post<TEmailRecipient, TAddRecipientBody>(RECIPIENTS, { email: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.error?.code).toBe('bad_request');
    expect(await list(api.mine)).toHaveLength(count);
  });
});
