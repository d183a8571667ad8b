import { index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { accountIdColumn, idColumn, tstz } from './columns.js';

/** One row per mutation (DESIGN §3.9). `actor` is `key:<apiKeyId>`, `agent:<agentId>`, `cluster:<id>` or `system`. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    actor: text('actor').notNull(),
    /** The account the actor belongs to, when it acts on another account (multi-account control). */
    actorAccountId: uuid('actor_account_id'),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id'),
    before: jsonb('before'),
    after: jsonb('after'),
    at: tstz('at').notNull().defaultNow(),
    requestId: text('request_id'),
  },
  (t) => [index('audit_log_account_idx').on(t.accountId, t.id)],
);
