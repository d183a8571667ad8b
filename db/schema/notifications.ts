import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import {
  DELIVERY_STATUSES,
  NOTIFICATION_CHANNEL_TYPES,
  NOTIFICATION_LANGUAGES,
} from '../../domain/notifications.js';
import { accountIdColumn, createdAt, idColumn, tstz, updatedAt } from './columns.js';

/**
 * A DingTalk robot or an e-mail list that Playbook tasks, reports and signature policies notify. The webhook (its
 * access token is a credential) and the robot's signing secret are sealed with the master key, bound to the row
 * id; only the host and a masked URL are ever shown again.
 */
export const notificationChannels = pgTable(
  'notification_channels',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    name: text('name').notNull(),
    type: text('type', { enum: NOTIFICATION_CHANNEL_TYPES }).notNull(),
    enabled: boolean('enabled').notNull().default(true),
    language: text('language', { enum: NOTIFICATION_LANGUAGES }).notNull().default('zh-CN'),
    /** DingTalk: host[:port] of the webhook, checked against VIGIL_WEBHOOK_ALLOWLIST on every send. */
    webhookHost: text('webhook_host'),
    /** DingTalk: the webhook URL with access token, masked for display. */
    webhookMasked: text('webhook_masked'),
    /** DingTalk: the full webhook URL, sealed with AAD `<id>:webhook`. */
    webhookSealed: text('webhook_sealed'),
    /** DingTalk: the signing secret (`SEC…`), sealed with AAD `<id>`; null when the robot does not sign. */
    secretSealed: text('secret_sealed'),
    /** DingTalk: the robot's custom keyword, when it uses keyword security. */
    keyword: text('keyword'),
    /** E-mail: every recipient goes in To of one mail. */
    recipients: text('recipients')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('notification_channels_name_uq').on(t.accountId, t.name),
    index('notification_channels_account_idx').on(t.accountId, t.id),
  ],
);

/**
 * The delivery ledger: one row per (channel, dedupe key) ever, so a retried activity sends nothing twice
 * (DESIGN §3.3). `sending` is a claim; a claim older than the lease is taken over after a crash.
 */
export const notificationDeliveries = pgTable(
  'notification_deliveries',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    channelId: uuid('channel_id')
      .notNull()
      .references(() => notificationChannels.id, { onDelete: 'cascade' }),
    dedupeKey: text('dedupe_key').notNull(),
    channelType: text('channel_type', { enum: NOTIFICATION_CHANNEL_TYPES }).notNull(),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull(),
    title: text('title').notNull(),
    /** errcode/errmsg, SMTP response or error, human readable. */
    detail: text('detail').notNull().default(''),
    /** The peer's answer: `{ httpStatus, errcode, errmsg }` or `{ smtpResponse, messageId, accepted, rejected }`. */
    response: jsonb('response'),
    attempts: integer('attempts').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    sentAt: tstz('sent_at'),
  },
  (t) => [
    uniqueIndex('notification_deliveries_dedupe_uq').on(t.channelId, t.dedupeKey),
    index('notification_deliveries_channel_idx').on(t.channelId, t.id),
    index('notification_deliveries_sent_idx').on(t.channelId, t.sentAt),
  ],
);

export type NotificationChannelRow = typeof notificationChannels.$inferSelect;
export type NotificationDeliveryRow = typeof notificationDeliveries.$inferSelect;
