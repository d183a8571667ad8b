import { index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { apiKeys } from './accounts.js';
import { accountIdColumn, createdAt, idColumn, tstz } from './columns.js';

/**
 * A signed-in browser of the web console. The cookie carries a random token; only its hash is stored. A session
 * acts with its API key's identity and dies with it (revoking the key ends every session made from it).
 */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    apiKeyId: uuid('api_key_id')
      .notNull()
      .references(() => apiKeys.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['admin', 'operator', 'viewer'] }).notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: createdAt(),
    expiresAt: tstz('expires_at').notNull(),
    revokedAt: tstz('revoked_at'),
  },
  (t) => [
    uniqueIndex('console_sessions_token_hash_uq').on(t.tokenHash),
    index('console_sessions_api_key_idx').on(t.apiKeyId),
  ],
);
