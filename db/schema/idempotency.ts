import { integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { accountIdColumn, createdAt } from './columns.js';

/**
 * The first response to a POST with an `Idempotency-Key`, replayed on a retry (DESIGN §3.3). A key is scoped to
 * the API key and the route that used it, and the stored response is sealed under the master key: some responses
 * carry a one-time secret (a new API key, a cluster or enrollment token) that must not sit in clear.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    accountId: accountIdColumn(),
    apiKeyId: uuid('api_key_id').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    /** Null while the first request is still running. */
    status: integer('status'),
    /** The response body sealed with the row's identity as associated data; null while running or when empty. */
    responseSealed: text('response_sealed'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.apiKeyId, t.method, t.path, t.key] })],
);
