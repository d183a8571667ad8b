import { boolean, index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './accounts.js';
import { accountIdColumn, createdAt, updatedAt } from './columns.js';
import { resourceDirectories } from './multi-account.js';

/**
 * A directory's default member settings: a partial settings document that every managed member not excluded
 * inherits (fields it leaves out take the built-in defaults). `account_id` is the directory's management account.
 */
export const directorySettingsPolicies = pgTable(
  'directory_settings_policies',
  {
    directoryId: uuid('directory_id')
      .primaryKey()
      .references(() => resourceDirectories.id, { onDelete: 'cascade' }),
    accountId: accountIdColumn().references(() => accounts.id, { onDelete: 'cascade' }),
    settings: jsonb('settings').notNull(),
    revision: integer('revision').notNull(),
    actor: text('actor').notNull(),
    actorAccountId: uuid('actor_account_id').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('directory_settings_policies_account_idx').on(t.accountId)],
);

/**
 * A member's own settings: a partial document whose fields beat the directory's defaults, and whether the member
 * is excluded from the directory policy altogether. `account_id` is the member.
 */
export const memberSettingsOverrides = pgTable('member_settings_overrides', {
  accountId: accountIdColumn()
    .primaryKey()
    .references(() => accounts.id, { onDelete: 'cascade' }),
  settings: jsonb('settings').notNull().default({}),
  excludedFromPolicy: boolean('excluded_from_policy').notNull().default(false),
  actor: text('actor').notNull(),
  actorAccountId: uuid('actor_account_id').notNull(),
  updatedAt: updatedAt(),
});
