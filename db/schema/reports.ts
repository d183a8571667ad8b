import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { accountIdColumn, createdAt, idColumn, tstz, updatedAt } from './columns.js';
import { SEVERITIES } from '../../domain/findings.js';
import { REPORT_TYPES } from '../../domain/reports/rules.js';
import { assetGroups } from './inventory.js';
import type { TReportPeriod } from '../../domain/reports/period.js';

/** A security report definition (manual: Create a security report). At most one default per account. */
export const reports = pgTable(
  'reports',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    name: text('name').notNull(),
    type: text('type', { enum: REPORT_TYPES }).notNull(),
    isDefault: boolean('is_default').notNull().default(false),
    enabled: boolean('enabled').notNull().default(true),
    timeZone: text('time_zone').notNull(),
    /** Local "HH:MM" in `time_zone`; the end may be before the start (the window runs past midnight). */
    sendWindowStart: text('send_window_start').notNull(),
    sendWindowEnd: text('send_window_end').notNull(),
    /** Custom reports: the data-collection period. */
    periodStart: tstz('period_start'),
    periodEnd: tstz('period_end'),
    language: text('language', { enum: ['zh-CN', 'en'] }).notNull(),
    items: text('items')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** Lower-cased addresses; only those verified in `email_recipients` receive mail. */
    recipients: text('recipients')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** Scope: only assets of this group (and their findings); null = every asset. */
    assetGroupId: uuid('asset_group_id').references(() => assetGroups.id, { onDelete: 'set null' }),
    /** Scope: only findings of this severity or worse; null = every severity. */
    minSeverity: text('min_severity', { enum: SEVERITIES }),
    /** Weekly: ISO weekday of the send (1 = Monday … 7 = Sunday); null = Monday. */
    sendWeekday: smallint('send_weekday'),
    /** Monthly: day of month of the send (29–31 fall on the last day of shorter months); null = the 1st. */
    sendDayOfMonth: smallint('send_day_of_month'),
    /** A directory's management account: one section per managed member. */
    consolidated: boolean('consolidated').notNull().default(false),
    /** Custom: when its one scheduled send inside the Report Time went out; afterwards only Send Now sends it. */
    scheduledSendAt: tstz('scheduled_send_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('reports_account_idx').on(t.accountId, t.id),
    uniqueIndex('reports_one_default_uq')
      .on(t.accountId)
      .where(sql`${t.isDefault}`),
  ],
);

/** Addresses that may receive reports: double opt-in (pending → verified) and one-click unsubscribe. */
export const emailRecipients = pgTable(
  'email_recipients',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    email: text('email').notNull(),
    status: text('status', { enum: ['pending', 'verified', 'unsubscribed'] })
      .notNull()
      .default('pending'),
    verificationSentAt: tstz('verification_sent_at'),
    verifiedAt: tstz('verified_at'),
    unsubscribedAt: tstz('unsubscribed_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('email_recipients_email_uq').on(t.accountId, t.email)],
);

/** One rendered report per (report, period): the statistics, the HTML with `cid:` charts, and the chart PNGs. */
export const reportRuns = pgTable(
  'report_runs',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    reportId: uuid('report_id')
      .notNull()
      .references(() => reports.id, { onDelete: 'cascade' }),
    periodKey: text('period_key').notNull(),
    period: jsonb('period').$type<TReportPeriod>().notNull(),
    trigger: text('trigger', { enum: ['schedule', 'sendNow'] }).notNull(),
    workflowId: text('workflow_id').notNull(),
    subject: text('subject').notNull(),
    /** Rendered HTML; charts referenced as `cid:…`, the unsubscribe link as a placeholder. */
    html: text('html').notNull(),
    text: text('text').notNull(),
    images: jsonb('images').$type<{ cid: string; filename: string; base64: string }[]>().notNull(),
    stats: jsonb('stats').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('report_runs_period_uq').on(t.reportId, t.periodKey)],
);

/**
 * The delivery ledger: one row per (report, period, recipient), claimed before the SMTP send, so a retried
 * activity, a catch-up or a duplicate trigger never sends twice (DESIGN §3.3).
 */
export const reportDeliveries = pgTable(
  'report_deliveries',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    reportId: uuid('report_id')
      .notNull()
      .references(() => reports.id, { onDelete: 'cascade' }),
    runId: uuid('run_id')
      .notNull()
      .references(() => reportRuns.id, { onDelete: 'cascade' }),
    periodKey: text('period_key').notNull(),
    recipientId: uuid('recipient_id').notNull(),
    email: text('email').notNull(),
    status: text('status', { enum: ['sending', 'sent', 'failed'] }).notNull(),
    /** Which workflow run claimed the row; only that run may retry an unfinished send. */
    claimedBy: text('claimed_by').notNull(),
    attempts: integer('attempts').notNull().default(0),
    messageId: text('message_id').notNull(),
    smtpResponse: text('smtp_response'),
    error: text('error'),
    sentAt: tstz('sent_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('report_deliveries_uq').on(t.reportId, t.periodKey, t.recipientId),
    index('report_deliveries_report_idx').on(t.accountId, t.reportId, t.id),
  ],
);
