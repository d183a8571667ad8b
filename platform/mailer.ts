import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from './config.js';

export interface MailAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
  /** Set to reference the attachment from HTML as `cid:<cid>`. */
  cid?: string;
}

export interface MailMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
  attachments?: MailAttachment[];
  headers?: Record<string, string>;
  /** A stable id per logical message, so a receiving system can drop a duplicate. */
  messageId?: string;
}

export interface SentMail {
  messageId: string;
  /** The SMTP server's final response line (or where the outbox put the file). */
  response: string;
  accepted: string[];
  rejected: string[];
}

export interface Mailer {
  send(message: MailMessage): Promise<SentMail>;
  /** Where mail goes, for start-up output: `smtp://host:port` or the outbox folder. */
  readonly destination: string;
  close(): void;
}

/**
 * SMTP through nodemailer when SMTP_URL is set. Without it (embedded `npm start`) every message is written as an
 * .eml file into `<data dir>/outbox`, so nothing is silently dropped and a newcomer can open what was sent.
 */
export function createMailer(config: Pick<Config, 'SMTP_URL' | 'SMTP_FROM'>, outboxDir?: string): Mailer {
  if (config.SMTP_URL) {
    const url = new URL(config.SMTP_URL);
    const transport = nodemailer.createTransport({
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 25)),
      secure: url.protocol === 'smtps:',
      auth: url.username
        ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
        : undefined,
      ignoreTLS: url.searchParams.get('ignoreTLS') === 'true',
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
    return {
      destination: `${url.protocol}//${url.hostname}:${url.port || (url.protocol === 'smtps:' ? 465 : 25)}`,
      async send(m) {
        const info = await transport.sendMail({ from: config.SMTP_FROM, ...toNodemailer(m) });
        return {
          messageId: info.messageId,
          response: info.response,
          accepted: info.accepted.map(String),
          rejected: info.rejected.map(String),
        };
      },
      close: () => transport.close(),
    };
  }
  const dir = outboxDir ?? path.resolve('.data', 'outbox');
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    destination: dir,
    async send(m) {
      const info = await transport.sendMail({ from: config.SMTP_FROM, ...toNodemailer(m) });
      mkdirSync(dir, { recursive: true });
      const file = path.join(
        dir,
        `${new Date().toISOString().replace(/[:.]/g, '-')}-${info.messageId.replace(/[^A-Za-z0-9.@-]/g, '')}.eml`,
      );
      await writeFile(file, info.message as Buffer);
      return { messageId: info.messageId, response: `written to ${file}`, accepted: [m.to], rejected: [] };
    },
    close: () => transport.close(),
  };
}

function toNodemailer(m: MailMessage) {
  return {
    to: m.to,
    subject: m.subject,
    html: m.html,
    text: m.text,
    headers: m.headers,
    messageId: m.messageId,
    attachments: m.attachments?.map((a) => ({
      filename: a.filename,
      content: a.content,
      contentType: a.contentType,
      cid: a.cid,
    })),
  };
}
