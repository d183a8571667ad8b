import { loadavg } from 'node:os';
import { createAccount } from '../services/accounts/create-account.js';
import { insertChannel } from '../services/notifications/channels.js';
import { renderNotificationEmail } from '../services/notifications/email.js';
import { sendNotificationNow } from '../services/notifications/send-notification.js';
import { openDatabase } from '../db/client.js';
import { signDingTalk, type NotificationMessage } from '../domain/notifications.js';
import { startDingTalkFake } from '../test/dingtalk-fake.js';
import { startTestSmtpServer } from '../test/smtp.js';
import { offlineServices } from './offline-app.js';
import { percentile, round } from './progress.js';

/**
 * Notification figures: MJML render time, DingTalk signing rate, and sendNotificationNow end to end on PGlite to a
 * DingTalk fake robot (signature checked) and a loopback SMTP server, first sends and ledger-skipped repeats.
 * Prints one JSON object. `npx tsx bench/notifications.ts [--messages N]`
 */
const args = process.argv.slice(2);
const i = args.indexOf('--messages');
const MESSAGES = i >= 0 ? Number(args[i + 1]) : 100;
const SECRET = 'SECbench0123456789abcdef';

const message = (n: number): NotificationMessage => ({
  title: `Task ${n} ended: 3 of 40 assets failed`,
  markdown: `### Task ${n} ended\n\n3 of 40 assets failed`,
  text: `Task ${n} ended.\n\n3 of 40 assets failed.`,
  facts: Array.from({ length: 10 }, (_, k) => ({
    label: `web-${k}`,
    value: k < 3 ? 'failed: dpkg lock held' : 'succeeded',
  })),
  link: { label: 'Open task', url: `https://vigil.example/v1/playbook/tasks/${n}` },
});

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const out = await fn();
  return [out, performance.now() - t];
}

const pct = (samples: number[], p: number) =>
  percentile(
    [...samples].sort((a, b) => a - b),
    p,
  );

async function main() {
  const [, coldRenderMs] = await timed(() => renderNotificationEmail(message(0), 'zh-CN'));
  const renders: number[] = [];
  for (let n = 1; n <= 50; n++)
    renders.push((await timed(() => renderNotificationEmail(message(n), n % 2 ? 'en' : 'zh-CN')))[1]);

  const signs = 10_000;
  const [, signMs] = await timed(async () => {
    for (let n = 0; n < signs; n++) await signDingTalk(SECRET, 1_700_000_000_000 + n);
  });

  const fake = await startDingTalkFake({ secret: SECRET });
  const smtp = await startTestSmtpServer();
  const handle = await openDatabase({});
  await handle.migrate();
  // Notifications never call Temporal; a lazy client connects to nothing.
  const services = offlineServices(handle, { SMTP_URL: smtp.url, VIGIL_WEBHOOK_ALLOWLIST: fake.host });
  const { account } = await createAccount(handle.db, { name: 'bench' });
  const common = { enabled: true, language: 'en' as const };
  const deps = {
    secrets: services.secrets,
    allowList: services.config.VIGIL_WEBHOOK_ALLOWLIST,
    accountId: account.id,
  };
  await insertChannel(handle.db, {
    ...deps,
    input: { type: 'dingtalk', name: 'robot', webhook: fake.url, secret: SECRET, ...common },
  });
  await insertChannel(handle.db, {
    ...deps,
    input: { type: 'email', name: 'mail', recipients: ['ops@example.com'], ...common },
  });

  // maxRateWaitMs 0: measure Vigil, not DingTalk's 20-per-minute budget (the fake does not throttle).
  const opts = { maxRateWaitMs: 0 };
  const send = async (n: number) =>
    sendNotificationNow(
      services,
      { accountId: account.id, dedupeKey: `bench:${n}`, message: message(n) },
      opts,
    );
  const first: number[] = [];
  const [, firstTotal] = await timed(async () => {
    for (let n = 0; n < MESSAGES; n++) {
      const [out, ms] = await timed(() => send(n));
      if (out.results.some((r) => r.status !== 'sent'))
        throw new Error(`not sent: ${JSON.stringify(out.results)}`);
      first.push(ms);
    }
  });
  await smtp.waitFor(MESSAGES);
  const repeat: number[] = [];
  const [, repeatTotal] = await timed(async () => {
    for (let n = 0; n < MESSAGES; n++) {
      const [out, ms] = await timed(() => send(n));
      if (out.results.some((r) => r.status !== 'skipped')) throw new Error('a repeat was sent');
      repeat.push(ms);
    }
  });

  const figures = {
    bench: 'notifications',
    loadAverage1m: round(loadavg()[0] ?? 0),
    mjmlRender: {
      coldMs: round(coldRenderMs),
      p50Ms: round(pct(renders, 50)),
      p95Ms: round(pct(renders, 95)),
    },
    dingTalkSignPerSecond: Math.round(signs / (signMs / 1000)),
    sendToDingTalkAndEmail: {
      database: 'pglite',
      messages: MESSAGES,
      messagesPerSecond: round(MESSAGES / (firstTotal / 1000)),
      p50Ms: round(pct(first, 50)),
      p95Ms: round(pct(first, 95)),
      dingTalkReceived: fake.messages.length,
      mailsReceived: smtp.mails.length,
    },
    ledgerSkippedRepeat: {
      messagesPerSecond: round(MESSAGES / (repeatTotal / 1000)),
      p50Ms: round(pct(repeat, 50)),
      p95Ms: round(pct(repeat, 95)),
      extraDeliveries: fake.messages.length - MESSAGES + (smtp.mails.length - MESSAGES),
    },
  };
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  services.mailer.close();
  await handle.close();
  await fake.close();
  await smtp.close();
}

await main();
