import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationChannels } from '../../db/schema/notifications.js';
import { auditLog } from '../../db/schema/audit.js';
import { startDingTalkFake, type DingTalkFake } from '../../test/dingtalk-fake.js';
import { createTestContext, type TestAccount, type TestContext } from '../../test/harness.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../test/smtp.js';

const SECRET = 'SEC9f1c2b7e4a3d6f8e0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4';

interface ChannelDto {
  id: string;
  type: string;
  enabled: boolean;
  webhook: string | null;
  webhookHost: string | null;
  hasSecret: boolean;
  recipients: string[];
}

interface TestResult {
  status: string;
  detail: string;
  attempts: number;
  response: { errcode?: number | null; errmsg?: string | null; smtpResponse?: string | null } | null;
}

let ctx: TestContext;
let fake: DingTalkFake;
let smtp: TestSmtpServer;
let acct: TestAccount;
/** Every response body this file saw, to prove the secret never appears in one. */
const bodies: string[] = [];

async function call(method: string, path: string, body?: unknown, key = acct.apiKey) {
  const res = await ctx.request(method, path, { key, body });
  const text = await res.text();
  bodies.push(text);
  return { status: res.status, json: (text ? JSON.parse(text) : null) as unknown };
}

async function createDingTalk(name: string, extra: Record<string, unknown> = {}): Promise<ChannelDto> {
  const r = await call('POST', '/v1/notification-channels', {
    type: 'dingtalk',
    name,
    webhook: fake.url,
    secret: SECRET,
    ...extra,
  });
  expect(r.status).toBe(201);
  return r.json as ChannelDto;
}

beforeAll(async () => {
  fake = await startDingTalkFake({ secret: SECRET });
  smtp = await startTestSmtpServer();
  ctx = await createTestContext({
    env: { SMTP_URL: smtp.url, VIGIL_WEBHOOK_ALLOWLIST: `oapi.dingtalk.com,${fake.host}` },
  });
  acct = await ctx.createAccount('notify');
});

afterAll(async () => {
  await ctx?.close();
  await fake?.close();
  await smtp?.close();
});

describe('notification channels', () => {
  it('creates a DingTalk channel that shows neither the secret nor the access token', async () => {
    const channel = await createDingTalk('ops robot', { keyword: 'Vigil' });
    expect(channel).toMatchObject({
      type: 'dingtalk',
      enabled: true,
      hasSecret: true,
      webhookHost: fake.host,
    });
    expect(channel.webhook).toContain('access_token=fake-a***');
    expect(JSON.stringify(channel)).not.toContain('fake-access-token-0123456789');
    const [row] = await ctx.services.db.select().from(notificationChannels);
    expect(row?.secretSealed).toMatch(/^v1\./);
    expect(JSON.stringify(row)).not.toContain(SECRET);
  });

  it('refuses bad channels with 4xx', async () => {
    const outside = await call('POST', '/v1/notification-channels', {
      type: 'dingtalk',
      name: 'outside',
      webhook: 'https://hooks.example.com/robot/send?access_token=x',
    });
    expect(outside.status).toBe(422);
    expect(JSON.stringify(outside.json)).toContain(`oapi.dingtalk.com, ${fake.host}`);
    const plainHttp = await call('POST', '/v1/notification-channels', {
      type: 'dingtalk',
      name: 'http',
      webhook: 'http://oapi.dingtalk.com/robot/send?access_token=x',
    });
    expect(plainHttp.status).toBe(422);
    const cases: unknown[] = [
      { type: 'dingtalk', name: 'bad url', webhook: 'not a url' },
      { type: 'dingtalk', name: 'extra', webhook: fake.url, recipients: ['a@example.com'] },
      { type: 'email', name: 'bad mail', recipients: ['nope'] },
      { type: 'email', name: 'none', recipients: [] },
      { type: 'email', name: 'many', recipients: Array.from({ length: 21 }, (_, i) => `u${i}@example.com`) },
      { type: 'sms', name: 'sms' },
    ];
    for (const body of cases)
      expect((await call('POST', '/v1/notification-channels', body)).status).toBe(400);
    expect(
      (
        await call('POST', '/v1/notification-channels', {
          type: 'dingtalk',
          name: 'ops robot',
          webhook: fake.url,
        })
      ).status,
    ).toBe(409);
  });

  it('sends a signed test message that the fake robot verifies', async () => {
    const channel = await createDingTalk('signed');
    const r = await call('POST', `/v1/notification-channels/${channel.id}/test`);
    expect(r.status).toBe(200);
    const result = r.json as TestResult;
    expect(result).toMatchObject({ status: 'sent', attempts: 1, response: { errcode: 0, errmsg: 'ok' } });
    const last = fake.messages.at(-1);
    expect(last?.title).toBe('Vigil 测试通知');
    expect(last?.text).toContain('signed');
    const query = fake.requests.at(-1)?.query;
    expect(query?.sign).toBeTruthy();
    expect(Math.abs(Date.now() - Number(query?.timestamp))).toBeLessThan(60_000);
  });

  it('reports a wrong secret as failed with DingTalk’s errcode, and a rotated secret fixes it', async () => {
    const channel = await createDingTalk('wrong secret', { secret: 'SECwrong' });
    const failed = (await call('POST', `/v1/notification-channels/${channel.id}/test`)).json as TestResult;
    expect(failed).toMatchObject({
      status: 'failed',
      response: { errcode: 310000, errmsg: 'sign not match' },
    });
    expect(failed.detail).toContain('310000');
    const patched = await call('PATCH', `/v1/notification-channels/${channel.id}`, { secret: SECRET });
    expect(patched.status).toBe(200);
    const ok = (await call('POST', `/v1/notification-channels/${channel.id}/test`)).json as TestResult;
    expect(ok.status).toBe('sent');
    const deliveries = await call('GET', `/v1/notification-channels/${channel.id}/deliveries`);
    const items = (deliveries.json as { items: { status: string; detail: string }[] }).items;
    expect(items.map((d) => d.status)).toEqual(['sent', 'failed']);
  });

  it('sends a test e-mail with HTML and text parts to every recipient', async () => {
    const created = await call('POST', '/v1/notification-channels', {
      type: 'email',
      name: 'mail list',
      language: 'en',
      recipients: ['Ops@Example.com', 'sec@example.com'],
    });
    expect(created.status).toBe(201);
    const channel = created.json as ChannelDto;
    expect(channel.recipients).toEqual(['ops@example.com', 'sec@example.com']);
    const before = smtp.mails.length;
    const result = (await call('POST', `/v1/notification-channels/${channel.id}/test`)).json as TestResult;
    expect(result.status).toBe('sent');
    expect(result.response?.smtpResponse).toMatch(/^250/);
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    expect(mail?.envelopeTo.sort()).toEqual(['ops@example.com', 'sec@example.com']);
    expect(mail?.parsed.subject).toBe('Vigil test notification');
    expect(mail?.parsed.html).toContain('Vigil test notification');
    expect(mail?.parsed.text).toContain('Vigil test notification');
    expect(mail?.parsed.text).toContain('Channel: mail list');
    expect(mail?.parsed.messageId).toMatch(/^<notify\.[0-9a-f]{40}@/);
  });

  it('patches, lists with pagination, refuses fields of the other type, and deletes', async () => {
    const channel = await createDingTalk('to delete');
    const off = await call('PATCH', `/v1/notification-channels/${channel.id}`, {
      enabled: false,
      name: 'disabled robot',
    });
    expect(off.json).toMatchObject({ enabled: false, hasSecret: true });
    expect(
      (await call('PATCH', `/v1/notification-channels/${channel.id}`, { recipients: ['a@example.com'] }))
        .status,
    ).toBe(422);
    expect(
      (await call('PATCH', `/v1/notification-channels/${channel.id}`, { name: 'ops robot' })).status,
    ).toBe(409);
    expect(
      (await call('PATCH', `/v1/notification-channels/${channel.id}`, { webhook: 'https://x.example.com/r' }))
        .status,
    ).toBe(422);
    const noSecret = await call('PATCH', `/v1/notification-channels/${channel.id}`, { secret: null });
    expect(noSecret.json).toMatchObject({ hasSecret: false });

    const first = (await call('GET', '/v1/notification-channels?limit=2')).json as {
      items: ChannelDto[];
      nextCursor: string;
    };
    expect(first.items).toHaveLength(2);
    const second = (await call('GET', `/v1/notification-channels?limit=50&cursor=${first.nextCursor}`))
      .json as { items: ChannelDto[] };
    const ids = [...first.items, ...second.items].map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain(channel.id);

    expect((await call('DELETE', `/v1/notification-channels/${channel.id}`)).status).toBe(204);
    expect((await call('GET', `/v1/notification-channels/${channel.id}`)).status).toBe(404);
  });

  it('answers 404 for another account’s channel on every route', async () => {
    const channel = await createDingTalk('private');
    const other = await ctx.createAccount('other');
    const base = `/v1/notification-channels/${channel.id}`;
    for (const [method, path, body] of [
      ['GET', base],
      ['PATCH', base, { enabled: false }],
      ['POST', `${base}/test`],
      ['GET', `${base}/deliveries`],
      ['DELETE', base],
    ] as const) {
      expect((await call(method, path, body, other.apiKey)).status, `${method} ${path}`).toBe(404);
    }
    const list = (await call('GET', '/v1/notification-channels', undefined, other.apiKey)).json as {
      items: unknown[];
    };
    expect(list.items).toHaveLength(0);
    expect((await call('GET', base)).status).toBe(200);
  });

  it('documents every route in the OpenAPI document', async () => {
    const doc = (await call('GET', '/openapi.json')).json as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(doc.paths['/v1/notification-channels'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/v1/notification-channels/{id}'] ?? {}).sort()).toEqual([
      'delete',
      'get',
      'patch',
    ]);
    expect(doc.paths['/v1/notification-channels/{id}/test']?.post).toBeDefined();
    expect(doc.paths['/v1/notification-channels/{id}/deliveries']?.get).toBeDefined();
  });

  it('never shows the secret or the full webhook in a response or an audit row', async () => {
    const audit = await ctx.services.db.select().from(auditLog);
    expect(audit.filter((a) => a.action.startsWith('notification_channel.')).length).toBeGreaterThan(5);
    const everything = [...bodies, JSON.stringify(audit)].join('\n');
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain('SECwrong');
    expect(everything).not.toContain('fake-access-token-0123456789');
  });
});
