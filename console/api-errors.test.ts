import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestAccount, type TestContext } from '../test/harness.js';
import { translateApiMessage } from './api-errors.js';

let ctx: TestContext;
let acct: TestAccount;

beforeAll(async () => {
  ctx = await createTestContext();
  acct = await ctx.createAccount('errors');
});
afterAll(async () => ctx?.close());

/** The API's own error for a request: its message and its field messages, as the console receives them. */
async function apiError(method: string, path: string, body?: unknown) {
  const res = await ctx.request(method, path, { key: acct.apiKey, body });
  expect(res.status).toBeGreaterThanOrEqual(400);
  const { error } = (await res.json()) as {
    error: { message: string; details?: { message: string }[] };
  };
  return { message: error.message, fields: (error.details ?? []).map((d) => d.message) };
}

const zh = (m: string) => translateApiMessage('zh-CN', m);

describe('API errors in the page language', () => {
  it('translates what the API really answers, with its names and numbers carried over', async () => {
    const host = await apiError('POST', '/v1/notification-channels', {
      type: 'dingtalk',
      name: 'robot',
      webhook: 'https://robot.example.net/send',
    });
    expect(zh(host.message)).toBe('不允许的 Webhook 主机 robot.example.net（见 VIGIL_WEBHOOK_ALLOWLIST）');

    await ctx.request('POST', '/v1/notification-channels', {
      key: acct.apiKey,
      body: { type: 'email', name: 'ops', recipients: ['ops@example.com'] },
    });
    const dup = await apiError('POST', '/v1/notification-channels', {
      type: 'email',
      name: 'ops',
      recipients: ['ops@example.com'],
    });
    expect(zh(dup.message)).toBe('已存在名为“ops”的通知渠道');

    const missing = await apiError('GET', `/v1/notification-channels/${crypto.randomUUID()}`);
    expect(zh(missing.message)).toBe('未找到通知渠道');

    const schema = await apiError('POST', '/v1/notification-channels', {
      type: 'email',
      name: '',
      recipients: ['ops@example.com'],
    });
    expect(zh(schema.message)).toBe('请求内容不符合要求');
    expect(schema.fields.map(zh)).toEqual(['不能为空']);

    const window = await apiError('POST', '/v1/reports', {
      name: 'short window',
      type: 'daily',
      sendWindow: { start: '08:00', end: '09:00' },
      language: 'en',
      items: ['assets'],
    });
    const all = [window.message, ...window.fields].map(zh).join(' ');
    expect(all).toContain('发送时间段至少 2 小时（当前 60 分钟）');
  });

  it('shows a message nobody translated as the API wrote it, and English pages unchanged', () => {
    expect(zh('a brand-new rule nobody translated')).toBe('a brand-new rule nobody translated');
    expect(translateApiMessage('en', 'notification channel not found')).toBe(
      'notification channel not found',
    );
  });
});
