import { integer, pgTable, text } from 'drizzle-orm/pg-core';

/** One row sealed under the master key; opening it at start-up proves the configured key is the right one. */
export const keyCheck = pgTable('master_key_check', {
  id: integer('id').primaryKey(),
  sealed: text('sealed').notNull(),
});
