import { integer, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { accountIdColumn, createdAt } from './columns.js';

/** The first response to a POST with an `Idempotency-Key`, replayed on a retry (DESIGN §3.3). */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    accountId: accountIdColumn(),
    key: text('key').notNull(),
    apiKeyId: uuid('api_key_id'),
    method: text('method').notNull(),
    path: text('path').notNull(),
    requestHash: text('request_hash').notNull(),
    /** Null while the first request is still running. */
    status: integer('status'),
    responseBody: jsonb('response_body'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.key] })],
);
