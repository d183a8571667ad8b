import { index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { accountIdColumn, createdAt, idColumn, tstz } from './columns.js';

export const accounts = pgTable('accounts', {
  id: idColumn(),
  name: text('name').notNull(),
  timeZone: text('time_zone').notNull().default('UTC'),
  createdAt: createdAt(),
});

export const apiKeys = pgTable(
  'api_keys',
  {
    id: idColumn(),
    accountId: accountIdColumn().references(() => accounts.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    role: text('role', { enum: ['admin', 'operator', 'viewer'] }).notNull(),
    /** The visible part of the key (`vgl_<prefix>_…`), used to find the row; the secret is only hashed. */
    prefix: text('prefix').notNull(),
    hash: text('hash').notNull(),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    lastUsedAt: tstz('last_used_at'),
    revokedAt: tstz('revoked_at'),
  },
  (t) => [uniqueIndex('api_keys_prefix_uq').on(t.prefix), index('api_keys_account_idx').on(t.accountId)],
);
