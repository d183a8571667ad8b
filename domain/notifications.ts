import { z } from 'zod';

/**
 * Notification vocabulary shared by the Playbook, reports and container signature (DESIGN §5 "Notifications").
 * Pure: no Node built-ins (workflows import this file); DingTalk signing uses Web Crypto, present in Node 20.
 */

/** The product's two notification methods: "DingTalk robots" and "Email" (manual, Task management). */
export const NOTIFICATION_CHANNEL_TYPES = ['dingtalk', 'email'] as const;
export type NotificationChannelType = (typeof NOTIFICATION_CHANNEL_TYPES)[number];

/** Languages of the static words of a message (e-mail template chrome, the sample message); reports use the same. */
export const NOTIFICATION_LANGUAGES = ['zh-CN', 'en'] as const;
export type NotificationLanguage = (typeof NOTIFICATION_LANGUAGES)[number];

/** An e-mail channel sends one mail with every recipient in To; more than this belongs on a mailing list. */
export const MAX_EMAIL_RECIPIENTS = 20;

/** DingTalk rejects a signed request whose `timestamp` is more than one hour from its clock (robot security). */
export const DINGTALK_TIMESTAMP_TOLERANCE_MS = 60 * 60 * 1000;

/** DingTalk custom robots accept at most 20 messages per minute each; beyond that they throttle for 10 minutes. */
export const DINGTALK_MESSAGES_PER_MINUTE = 20;

/** Errcodes DingTalk answers when a robot is sent too much (130101, 410100) or it is busy (-1): worth a retry. */
export const DINGTALK_RETRYABLE_ERRCODES: readonly number[] = [130101, 410100, -1];

/**
 * startToCloseTimeout for the `sendNotification` activity: waiting out another attempt's claim on the same
 * delivery (at most its 150 s lease), then the robot's minute budget (60 s), four 10 s attempts and the backoff
 * between them. It heartbeats while waiting, not during a 10 s request: no heartbeat timeout under 30 s.
 */
export const SEND_NOTIFICATION_TIMEOUT_MS = 5 * 60_000;

/** DingTalk's markdown title and text limits (the robot truncates or rejects past them). */
export const DINGTALK_MAX_TITLE_CHARS = 100;
export const DINGTALK_MAX_TEXT_CHARS = 5000;

/** What every channel receives. Callers write `markdown` for DingTalk and `text` for e-mail; both say the same. */
export interface NotificationMessage {
  title: string;
  /** DingTalk markdown body (DingTalk's subset: headings, bold, lists, links). */
  markdown: string;
  /** Plain text for the e-mail text part; the e-mail HTML shows it paragraph by paragraph. */
  text: string;
  /** Optional table rows rendered in the e-mail (and appended to the DingTalk markdown as a list). */
  facts?: { label: string; value: string }[];
  link?: { label: string; url: string };
}

/** Generous bounds: a sender cuts what a channel cannot carry (DingTalk's 5,000 characters); only nonsense fails. */
export const ZNotificationMessageSchema = z.object({
  title: z.string().trim().min(1).max(1000),
  markdown: z.string().max(200_000),
  text: z.string().max(200_000),
  facts: z
    .array(z.object({ label: z.string().max(1000), value: z.string().max(10_000) }))
    .max(1000)
    .optional(),
  link: z.object({ label: z.string().max(1000), url: z.url() }).optional(),
});

/** A dedupe key names one logical message, e.g. `playbook-task:<id>:start`; one delivery per channel ever. */
export const ZDedupeKeySchema = z.string().min(1).max(500);

export const ZSendNotificationInputSchema = z.object({
  accountId: z.uuid(),
  /** Undefined: every enabled channel of the account. */
  channelIds: z.array(z.uuid()).max(100).optional(),
  dedupeKey: ZDedupeKeySchema,
  message: ZNotificationMessageSchema,
});
export type TSendNotificationInput = z.infer<typeof ZSendNotificationInputSchema>;

export const DELIVERY_STATUSES = ['sending', 'sent', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export type ChannelResultStatus = 'sent' | 'failed' | 'skipped';

export interface ChannelResult {
  channelId: string;
  type: string;
  status: ChannelResultStatus;
  /** Human reason: DingTalk `errcode`/`errmsg`, SMTP response, or why it was skipped. */
  detail: string;
}

export interface SendNotificationResult {
  results: ChannelResult[];
}

// ---------------------------------------------------------------------------------------------------------------
// DingTalk signing

function toBase64(bytes: ArrayBuffer): string {
  const view = new Uint8Array(bytes);
  let binary = '';
  for (const b of view) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** DingTalk's "additional signature": base64(HMAC-SHA256(key = secret, data = `${timestamp}\n${secret}`)). */
export async function signDingTalk(secret: string, timestamp: number): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey(
    'raw',
    enc.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return toBase64(await crypto.subtle.sign('HMAC', key, enc.encode(`${timestamp}\n${secret}`)));
}

/** The webhook with `timestamp` and the URL-encoded `sign` appended, as DingTalk expects them. */
export function signedWebhookUrl(webhook: string, timestamp: number, sign: string): string {
  const url = new URL(webhook);
  url.searchParams.set('timestamp', String(timestamp));
  url.searchParams.set('sign', sign);
  return url.toString();
}

// ---------------------------------------------------------------------------------------------------------------
// Webhook allow-list

/** Host names whose plain `http:` webhooks are accepted (only when allow-listed): loopback, for local fakes. */
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

export type WebhookCheck = { ok: true; url: URL; host: string } | { ok: false; reason: string };

/**
 * A DingTalk webhook must be `https:` (plain `http:` only on an allow-listed loopback host, for local fakes), carry
 * no user info, and its host must be in the allow-list. An entry without a port allows the scheme's default port
 * only; `127.0.0.1:8080` allows exactly that port (DESIGN §3.6: outbound webhooks only to allow-listed hosts).
 */
export function checkWebhookUrl(raw: string, allowList: readonly string[]): WebhookCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'webhook is not a valid URL' };
  }
  const hostname = url.hostname.toLowerCase();
  const loopback = LOOPBACK_HOSTS.includes(hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    return { ok: false, reason: 'webhook must use https' };
  }
  if (url.username !== '' || url.password !== '')
    return { ok: false, reason: 'webhook must not carry user info' };
  const host = url.port === '' ? hostname : `${hostname}:${url.port}`;
  const allowed = allowList.some((entry) => entry.toLowerCase() === host);
  if (!allowed) {
    return {
      ok: false,
      reason: `webhook host ${host} is not allowed; allowed hosts (VIGIL_WEBHOOK_ALLOWLIST): ${allowList.join(', ') || '(none)'}`,
    };
  }
  return { ok: true, url, host };
}

/** The webhook as shown to users: the access token cut to its first characters, the rest of the URL intact. */
export function maskWebhookUrl(raw: string): string {
  const url = new URL(raw);
  for (const [name, value] of [...url.searchParams]) {
    if (/token|key|secret|sign/i.test(name)) url.searchParams.set(name, `${value.slice(0, 6)}***`);
  }
  return url.toString().replace(/%2A/g, '*');
}

// ---------------------------------------------------------------------------------------------------------------
// Markdown

/** Escapes characters DingTalk markdown would interpret, for values that come from data (asset names, errors). */
export function escapeMarkdown(value: string): string {
  return value.replace(/([\\`*_[\]#|<>])/g, '\\$1');
}

/** A markdown bullet list of facts: `- **label**: value`. */
export function factsMarkdown(facts: readonly { label: string; value: string }[]): string {
  return facts.map((f) => `- **${escapeMarkdown(f.label)}**: ${escapeMarkdown(f.value)}`).join('\n');
}

/** A markdown link; the label is escaped, the URL is percent-encoded where it could end the link. */
export function markdownLink(label: string, url: string): string {
  return `[${escapeMarkdown(label)}](${url.replace(/[()\s]/g, (c) => encodeURIComponent(c))})`;
}

/** The `{ title, text }` DingTalk receives: body, facts, link, and the robot's keyword when it has one. */
export function dingTalkMarkdown(
  message: NotificationMessage,
  keyword?: string | null,
): { title: string; text: string } {
  const parts = [message.markdown.trim()];
  if (message.facts && message.facts.length > 0) parts.push(factsMarkdown(message.facts));
  if (message.link) parts.push(markdownLink(message.link.label, message.link.url));
  let text = parts.filter((p) => p !== '').join('\n\n');
  let title = message.title;
  // A robot with keyword security drops any message whose text lacks the keyword.
  if (keyword && !text.includes(keyword)) text = `${keyword}\n\n${text}`;
  if (keyword && !title.includes(keyword)) title = `${keyword} ${title}`;
  if (title.length > DINGTALK_MAX_TITLE_CHARS) title = `${title.slice(0, DINGTALK_MAX_TITLE_CHARS - 1)}…`;
  if (text.length > DINGTALK_MAX_TEXT_CHARS) text = `${text.slice(0, DINGTALK_MAX_TEXT_CHARS - 1)}…`;
  return { title, text };
}

// ---------------------------------------------------------------------------------------------------------------
// E-mail addresses

/** A pragmatic address check (RFC 5321 sizes, one @, a dotted domain); the SMTP server is the final judge. */
export const ZEmailAddressSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'must be an e-mail address' }));

export const ZRecipientsSchema = z
  .array(ZEmailAddressSchema)
  .min(1, 'at least one recipient')
  .max(MAX_EMAIL_RECIPIENTS, `at most ${MAX_EMAIL_RECIPIENTS} recipients per channel`)
  .refine((list) => new Set(list).size === list.length, 'recipients must be unique');

/** Static words of the e-mail template and the sample message, per language. */
export const NOTIFICATION_WORDS: Record<
  NotificationLanguage,
  {
    product: string;
    open: string;
    footer: string;
    sampleTitle: string;
    sampleBody: string;
    channel: string;
    sentAt: string;
  }
> = {
  'zh-CN': {
    product: 'Vigil 安全运营',
    open: '在 Vigil 中查看',
    footer: '您收到此邮件，是因为您是 Vigil 通知渠道的收件人。',
    sampleTitle: 'Vigil 测试通知',
    sampleBody: '这是一条测试消息：通知渠道配置正确。',
    channel: '通知渠道',
    sentAt: '发送时间',
  },
  en: {
    product: 'Vigil security operations',
    open: 'Open in Vigil',
    footer: 'You receive this because you are a recipient of a Vigil notification channel.',
    sampleTitle: 'Vigil test notification',
    sampleBody: 'This is a test message: the notification channel is set up correctly.',
    channel: 'Channel',
    sentAt: 'Sent at',
  },
};

/** The message the channel test endpoint sends. */
export function sampleMessage(opts: {
  language: NotificationLanguage;
  channelName: string;
  at: Date;
  link?: { label: string; url: string };
}): NotificationMessage {
  const w = NOTIFICATION_WORDS[opts.language];
  const facts = [
    { label: w.channel, value: opts.channelName },
    { label: w.sentAt, value: opts.at.toISOString() },
  ];
  return {
    title: w.sampleTitle,
    markdown: `### ${escapeMarkdown(w.sampleTitle)}\n\n${escapeMarkdown(w.sampleBody)}`,
    text: w.sampleBody,
    facts,
    ...(opts.link ? { link: opts.link } : {}),
  };
}
