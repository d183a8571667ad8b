import { createHash } from 'node:crypto';
import {
  NOTIFICATION_WORDS,
  type NotificationLanguage,
  type NotificationMessage,
} from '../../domain/notifications.js';
import type { Mailer } from '../../platform/mailer.js';
import { renderMjml } from '../../platform/mjml.js';
import type { SendAttempt } from './dingtalk.js';
import { errorMessage } from '../../domain/errors.js';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export interface EmailResponse {
  smtpResponse: string | null;
  messageId: string | null;
  accepted: string[];
  rejected: string[];
}

const escapeHtml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** Only http(s) links become buttons; anything else would be a script or data URL in someone's mail client. */
const safeHref = (url: string) => /^https?:\/\//i.test(url);

/** The MJML source: header, the text paragraph by paragraph, the facts table, a button, a footer. */
export function notificationMjml(message: NotificationMessage, language: NotificationLanguage): string {
  const w = NOTIFICATION_WORDS[language];
  const paragraphs = message.text
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map(
      (p) =>
        `<mj-text font-size="14px" line-height="22px">${escapeHtml(p).replace(/\n/g, '<br />')}</mj-text>`,
    );
  const facts = message.facts?.length
    ? `<mj-table font-size="14px" line-height="20px" cellpadding="6px">${message.facts
        .map(
          (f) =>
            `<tr style="border-bottom:1px solid #e5e7eb"><td style="color:#6b7280;width:35%;vertical-align:top">${escapeHtml(f.label)}</td><td>${escapeHtml(f.value)}</td></tr>`,
        )
        .join('')}</mj-table>`
    : '';
  const link =
    message.link && safeHref(message.link.url)
      ? `<mj-button href="${escapeHtml(message.link.url)}" background-color="#1d4ed8" align="left">${escapeHtml(message.link.label || w.open)}</mj-button>`
      : '';
  return `<mjml lang="${language}">
  <mj-head>
    <mj-title>${escapeHtml(message.title)}</mj-title>
    <mj-attributes><mj-all font-family="-apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', Arial, sans-serif" /></mj-attributes>
  </mj-head>
  <mj-body background-color="#f3f4f6">
    <mj-section background-color="#111827"><mj-column>
      <mj-text color="#ffffff" font-size="13px">${escapeHtml(w.product)}</mj-text>
    </mj-column></mj-section>
    <mj-section background-color="#ffffff"><mj-column>
      <mj-text font-size="20px" font-weight="bold" line-height="28px">${escapeHtml(message.title)}</mj-text>
      ${paragraphs.join('\n      ')}
      ${facts}
      ${link}
    </mj-column></mj-section>
    <mj-section><mj-column>
      <mj-text color="#6b7280" font-size="12px">${escapeHtml(w.footer)}</mj-text>
    </mj-column></mj-section>
  </mj-body>
</mjml>`;
}

/** The plain-text part: the same content as the HTML, for clients that show text only. */
export function notificationText(message: NotificationMessage, language: NotificationLanguage): string {
  const w = NOTIFICATION_WORDS[language];
  const lines = [message.title, '', message.text.trim()];
  if (message.facts?.length) lines.push('', ...message.facts.map((f) => `${f.label}: ${f.value}`));
  if (message.link) lines.push('', `${message.link.label || w.open}: ${message.link.url}`);
  lines.push('', '--', w.footer);
  return `${lines.join('\n')}\n`;
}

export async function renderNotificationEmail(
  message: NotificationMessage,
  language: NotificationLanguage,
): Promise<RenderedEmail> {
  const result = await renderMjml(notificationMjml(message, language), {
    validationLevel: 'strict',
    keepComments: false,
  });
  return { subject: message.title, html: result.html, text: notificationText(message, language) };
}

/** A Message-ID that is the same for every retry of one (channel, dedupe key), so receivers can drop duplicates. */
export function stableMessageId(opts: { channelId: string; dedupeKey: string; domain: string }): string {
  const hash = createHash('sha256').update(`${opts.channelId}\n${opts.dedupeKey}`).digest('hex').slice(0, 40);
  return `<notify.${hash}@${opts.domain}>`;
}

/** SMTP errors nodemailer reports: 4xx replies and connection problems may pass on a later attempt, 5xx will not. */
function smtpRetryable(err: unknown): boolean {
  const e = err as { responseCode?: unknown; code?: unknown };
  if (typeof e.responseCode === 'number') return e.responseCode >= 400 && e.responseCode < 500;
  return (
    typeof e.code === 'string' &&
    ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNRESET'].includes(e.code)
  );
}

/** Sends one mail with every recipient in To. */
export async function sendNotificationEmail(
  mailer: Mailer,
  mail: RenderedEmail & { to: string[]; messageId: string },
): Promise<SendAttempt<EmailResponse>> {
  try {
    const sent = await mailer.send({
      to: mail.to.join(', '),
      subject: mail.subject,
      html: mail.html,
      text: mail.text,
      messageId: mail.messageId,
      headers: { 'Auto-Submitted': 'auto-generated' },
    });
    const response = {
      smtpResponse: sent.response,
      messageId: sent.messageId,
      accepted: sent.accepted,
      rejected: sent.rejected,
    };
    if (sent.accepted.length === 0) {
      return { ok: false, retryable: false, detail: `no recipient accepted: ${sent.response}`, response };
    }
    const rejected = sent.rejected.length > 0 ? ` (rejected: ${sent.rejected.join(', ')})` : '';
    return { ok: true, retryable: false, detail: `${sent.response}${rejected}`, response };
  } catch (err) {
    const message = errorMessage(err);
    const e = err as { response?: unknown };
    const response = {
      smtpResponse: typeof e.response === 'string' ? e.response : null,
      messageId: null,
      accepted: [],
      rejected: [],
    };
    return { ok: false, retryable: smtpRetryable(err), detail: `SMTP: ${message}`, response };
  }
}
