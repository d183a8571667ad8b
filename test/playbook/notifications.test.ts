import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestContext, type TestContext } from '../harness.js';
import { startDingTalkFake, type DingTalkFake } from '../dingtalk-fake.js';
import { startTestSmtpServer, type TestSmtpServer } from '../smtp.js';
import { api, createTask, isFinal, playbookWorld, waitForTask, type PlaybookWorld } from './helpers.js';

// A shared 2-core machine can be slow: host work, timers and polling get room (tests still poll, never sleep).
vi.setConfig({ testTimeout: 400_000 });

const SECRET = 'SEC0123456789abcdef0123456789abcdef';
let ctx: TestContext;
let w: PlaybookWorld;
let dingtalk: DingTalkFake;
let smtp: TestSmtpServer;

beforeAll(async () => {
  dingtalk = await startDingTalkFake({ secret: SECRET });
  smtp = await startTestSmtpServer();
  ctx = await createTestContext({
    workers: true,
    env: { SMTP_URL: smtp.url, VIGIL_WEBHOOK_ALLOWLIST: dingtalk.host },
  });
  w = await playbookWorld(ctx, {
    prefix: 'ntf',
    assets: 3,
    vulnerabilitiesPerAsset: 1,
    failingAssets: ['ntf-02'],
    policy: { maxErrors: 1, retriesPerFix: 0, heartbeatTimeoutSeconds: 30 },
  });
});
afterAll(async () => {
  await w?.fleet.stop();
  await ctx?.close();
  await dingtalk?.close();
  await smtp?.close();
});

describe('Playbook: notifications', () => {
  it('sends start and end messages to a signed DingTalk robot and by e-mail, naming the failed asset and why', async () => {
    const robot = await api<{ id: string }>(
      w,
      'POST',
      '/v1/notification-channels',
      { type: 'dingtalk', name: 'ops robot', language: 'en', webhook: dingtalk.url, secret: SECRET },
      201,
    );
    const mail = await api<{ id: string }>(
      w,
      'POST',
      '/v1/notification-channels',
      { type: 'email', name: 'ops mail', language: 'en', recipients: ['ops@example.com'] },
      201,
    );
    const t = await createTask(w, { channelIds: [robot.id, mail.id] });
    const done = await waitForTask(w, t.id, isFinal);
    expect(done.status).toBe('PartiallyFailed');

    const messages = await dingtalk.waitFor(2, 30_000);
    // The fake accepts only correctly signed requests; every request it saw was accepted.
    expect(dingtalk.requests.every((r) => r.answer.errcode === 0)).toBe(true);
    const end = messages.find((m) => m.title.includes('PartiallyFailed'));
    expect(end?.text).toContain('ntf-02: fix failed — USN-7000-1: exit code 1');
    expect(messages.some((m) => m.title.includes('started'))).toBe(true);

    const mails = await smtp.waitFor(2, 30_000);
    expect(mails.every((m) => m.envelopeTo.includes('ops@example.com'))).toBe(true);
    const endMail = mails.find((m) => (m.parsed.subject ?? '').includes('PartiallyFailed'));
    expect(endMail?.parsed.text).toContain('ntf-02');

    // One delivery per (channel, event): nothing more arrives.
    await new Promise((r) => setTimeout(r, 1000));
    expect(dingtalk.messages).toHaveLength(2);
    expect(smtp.mails).toHaveLength(2);
  });
});
