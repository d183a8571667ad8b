import { MockActivityEnvironment } from '@temporalio/testing';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationDeliveries } from '../../db/schema/notifications.js';
import type { NotificationMessage } from '../../domain/notifications.js';
import { startDingTalkFake, type DingTalkFake } from '../../test/dingtalk-fake.js';
import { createTestContext, type TestContext } from '../../test/harness.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../test/smtp.js';
import { insertChannel } from './channels.js';
import { createNotifyActivities } from '../../activities/notifications/send-notification.js';
import { DELIVERY_CLAIM_LEASE_MS, sendNotificationNow } from './send-notification.js';

const SECRET = 'SECledger0123456789';
const FAST = { retryDelaysMs: [5, 5], maxRateWaitMs: 0 };

let ctx: TestContext;
let fake: DingTalkFake;
let smtp: TestSmtpServer;
let accountId: string;
let robotId: string;
let mailId: string;

const message: NotificationMessage = {
  title: 'Task "nightly" ended: 1 asset failed',
  markdown: '### Task ended\n\n**web-01** failed: dpkg lock held',
  text: 'Task ended.\n\nweb-01 failed: dpkg lock held',
  facts: [{ label: 'Failed assets', value: 'web-01' }],
  link: { label: 'Open task', url: 'https://vigil.example/v1/playbook/tasks/1' },
};

async function channel(input: Parameters<typeof insertChannel>[1]['input']): Promise<string> {
  const row = await insertChannel(ctx.services.db, {
    accountId,
    input,
    secrets: ctx.services.secrets,
    allowList: ctx.config.VIGIL_WEBHOOK_ALLOWLIST,
  });
  if (!row) throw new Error('channel not created');
  return row.id;
}

beforeAll(async () => {
  fake = await startDingTalkFake({ secret: SECRET, keyword: 'Vigil' });
  smtp = await startTestSmtpServer();
  ctx = await createTestContext({ env: { SMTP_URL: smtp.url, VIGIL_WEBHOOK_ALLOWLIST: fake.host } });
  accountId = (await ctx.createAccount()).accountId;
  const common = { enabled: true, language: 'en' as const };
  robotId = await channel({
    type: 'dingtalk',
    name: 'robot',
    webhook: fake.url,
    secret: SECRET,
    keyword: 'Vigil',
    ...common,
  });
  mailId = await channel({ type: 'email', name: 'mail', recipients: ['ops@example.com'], ...common });
  await channel({ type: 'email', name: 'off', recipients: ['off@example.com'], ...common, enabled: false });
});

afterAll(async () => {
  await ctx?.close();
  await fake?.close();
  await smtp?.close();
});

describe('sendNotificationNow', () => {
  it('sends to every enabled channel once per dedupe key, however often it is called', async () => {
    const input = { accountId, dedupeKey: 'playbook-task:1:end', message };
    const first = await sendNotificationNow(ctx.services, input, FAST);
    expect(first.results.map((r) => [r.channelId, r.status])).toEqual([
      [robotId, 'sent'],
      [mailId, 'sent'],
    ]);
    const again = await sendNotificationNow(ctx.services, input, FAST);
    expect(again.results.map((r) => r.status)).toEqual(['skipped', 'skipped']);
    expect(again.results[0]?.detail).toMatch(/^already sent at /);
    expect(fake.messages).toHaveLength(1);
    expect(fake.messages[0]?.text).toContain('Vigil');
    expect(fake.messages[0]?.text).toContain('- **Failed assets**: web-01');
    await smtp.waitFor(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]?.envelopeTo).toEqual(['ops@example.com']);
    expect(smtp.mails[0]?.parsed.html).toContain('web-01');
  });

  it('retries DingTalk’s rate limit with backoff and records the attempts', async () => {
    fake.failNext(2);
    const { results } = await sendNotificationNow(
      ctx.services,
      { accountId, channelIds: [robotId], dedupeKey: 'k:rate', message },
      FAST,
    );
    expect(results[0]).toMatchObject({ status: 'sent', attempts: 3 });
    const [row] = await ctx.services.db
      .select()
      .from(notificationDeliveries)
      .where(eq(notificationDeliveries.dedupeKey, 'k:rate'));
    expect(row).toMatchObject({ status: 'sent', attempts: 3 });
  });

  it('reports errcode ≠ 0, HTTP errors and redirects as failures without throwing', async () => {
    fake.failNext(1, { errcode: 310000, errmsg: 'keywords not in content' });
    const sign = await sendNotificationNow(
      ctx.services,
      { accountId, channelIds: [robotId], dedupeKey: 'k:310000', message },
      FAST,
    );
    expect(sign.results[0]).toMatchObject({
      status: 'failed',
      attempts: 1,
      detail: 'errcode 310000: keywords not in content',
    });

    fake.failNext(3, { status: 500, errcode: -1, errmsg: 'system busy' });
    const busy = await sendNotificationNow(
      ctx.services,
      { accountId, channelIds: [robotId], dedupeKey: 'k:500', message },
      FAST,
    );
    expect(busy.results[0]).toMatchObject({ status: 'failed', attempts: 3 });
    expect(busy.results[0]?.detail).toContain('HTTP 500');

    fake.failNext(1, { status: 302, errcode: 0, errmsg: 'moved' });
    const moved = await sendNotificationNow(
      ctx.services,
      { accountId, channelIds: [robotId], dedupeKey: 'k:302', message },
      FAST,
    );
    expect(moved.results[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(moved.results[0]?.detail).toContain('redirects are not followed');

    // A failed delivery never reached anyone: the next call with the same key sends it.
    const retry = await sendNotificationNow(
      ctx.services,
      { accountId, channelIds: [robotId], dedupeKey: 'k:310000', message },
      FAST,
    );
    expect(retry.results[0]?.status).toBe('sent');
    const [row] = await ctx.services.db
      .select()
      .from(notificationDeliveries)
      .where(eq(notificationDeliveries.dedupeKey, 'k:310000'));
    expect(row).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('sends once when two calls race for the same dedupe key, and takes over a claim whose sender died', async () => {
    const before = fake.messages.length;
    const input = { accountId, channelIds: [robotId], dedupeKey: 'k:race', message };
    const both = await Promise.all([
      sendNotificationNow(ctx.services, input, FAST),
      sendNotificationNow(ctx.services, input, FAST),
    ]);
    expect(both.map((r) => r.results[0]?.status).sort()).toEqual(['sent', 'skipped']);
    expect(fake.messages.length).toBe(before + 1);

    // A claim left `sending` by a crashed worker is retried only after its lease.
    await ctx.services.db.insert(notificationDeliveries).values({
      accountId,
      channelId: robotId,
      dedupeKey: 'k:crashed',
      channelType: 'dingtalk',
      status: 'sending',
      title: 't',
      attempts: 1,
    });
    const live = await sendNotificationNow(ctx.services, { ...input, dedupeKey: 'k:crashed' }, FAST);
    expect(live.results[0]).toMatchObject({ status: 'skipped', detail: 'another attempt is sending it now' });
    // Microsecond timestamps, as the database writes them, must not defeat the take-over.
    await ctx.services.db
      .update(notificationDeliveries)
      .set({ updatedAt: sql`now() - make_interval(secs => ${DELIVERY_CLAIM_LEASE_MS / 1000 + 1})` })
      .where(eq(notificationDeliveries.dedupeKey, 'k:crashed'));
    const takenOver = await sendNotificationNow(ctx.services, { ...input, dedupeKey: 'k:crashed' }, FAST);
    expect(takenOver.results[0]?.status).toBe('sent');
    expect(fake.messages.length).toBe(before + 2);
  });

  it('as an activity, waits out another attempt’s live claim instead of dropping the message', async () => {
    await ctx.services.db.insert(notificationDeliveries).values({
      accountId,
      channelId: robotId,
      dedupeKey: 'k:live',
      channelType: 'dingtalk',
      status: 'sending',
      title: 't',
      updatedAt: new Date(Date.now() - DELIVERY_CLAIM_LEASE_MS + 1_500),
    });
    const before = fake.messages.length;
    const input = { accountId, channelIds: [robotId], dedupeKey: 'k:live', message };
    const { results } = await sendNotificationNow(ctx.services, input, { ...FAST, awaitLiveClaims: true });
    expect(results[0]?.status).toBe('sent');
    expect(fake.messages.length).toBe(before + 1);
  });

  it('waits while the robot has had 20 messages in the last minute', async () => {
    const sentAt = new Date(Date.now() - 59_300);
    await ctx.services.db.insert(notificationDeliveries).values(
      Array.from({ length: 20 }, (_, i) => ({
        accountId,
        channelId: robotId,
        dedupeKey: `k:burst:${i}`,
        channelType: 'dingtalk' as const,
        status: 'sent' as const,
        title: 't',
        sentAt,
      })),
    );
    const started = Date.now();
    const input = { accountId, channelIds: [robotId], dedupeKey: 'k:after-burst', message };
    const { results } = await sendNotificationNow(ctx.services, input, { ...FAST, maxRateWaitMs: 5_000 });
    expect(results[0]?.status).toBe('sent');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('retries a robot that does not answer, then reports the network error without the access token', async () => {
    const gone = await startDingTalkFake({ accessToken: 'token-of-a-robot-that-is-gone' });
    await gone.close();
    const allowList = [...ctx.config.VIGIL_WEBHOOK_ALLOWLIST, gone.host];
    const services = { ...ctx.services, config: { ...ctx.config, VIGIL_WEBHOOK_ALLOWLIST: allowList } };
    const row = await insertChannel(ctx.services.db, {
      accountId,
      input: { type: 'dingtalk', name: 'gone', webhook: gone.url, enabled: true, language: 'en' },
      secrets: ctx.services.secrets,
      allowList,
    });
    const input = { accountId, channelIds: [row?.id ?? ''], dedupeKey: 'k:gone', message };
    const { results } = await sendNotificationNow(services, input, FAST);
    expect(results[0]).toMatchObject({ status: 'failed', attempts: 3 });
    expect(results[0]?.detail).toMatch(/^request failed: /);
    expect(results[0]?.detail).not.toContain('token-of-a-robot-that-is-gone');
  });

  it('skips unknown and disabled channels named explicitly', async () => {
    const unknown = '0190a0a0-0000-7000-8000-000000000000';
    const { results } = await sendNotificationNow(
      ctx.services,
      { accountId, channelIds: [unknown], dedupeKey: 'k:unknown', message },
      FAST,
    );
    expect(results).toEqual([
      {
        channelId: unknown,
        type: 'unknown',
        status: 'skipped',
        detail: 'channel not found',
        attempts: 0,
        response: null,
      },
    ]);
  });

  it('runs as an activity that returns per-channel results', async () => {
    const env = new MockActivityEnvironment();
    const { sendNotification } = createNotifyActivities(ctx.services);
    const before = fake.messages.length;
    const out = await env.run(sendNotification, {
      accountId,
      channelIds: [robotId],
      dedupeKey: 'playbook-task:2:start',
      message,
    });
    expect(out).toEqual({
      results: [{ channelId: robotId, type: 'dingtalk', status: 'sent', detail: 'errcode 0: ok' }],
    });
    const replay: Awaited<ReturnType<typeof sendNotification>> = await env.run(sendNotification, {
      accountId,
      channelIds: [robotId],
      dedupeKey: 'playbook-task:2:start',
      message,
    });
    expect(replay.results[0]?.status).toBe('skipped');
    expect(fake.messages.length).toBe(before + 1);
  });
});
