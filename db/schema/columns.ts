import { text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { uuidv7 } from '../../domain/ids.js';

/** Primary key: a UUIDv7 made by the application, so ids sort by creation time. */
export const idColumn = () =>
  uuid('id')
    .primaryKey()
    .$defaultFn(() => uuidv7());

/** Every row belongs to exactly one account (DESIGN §3.2). */
export const accountIdColumn = () => uuid('account_id').notNull();

export const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
export const updatedAt = () =>
  timestamp('updated_at', { withTimezone: true })
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date());

export const tstz = (name: string) => timestamp(name, { withTimezone: true });
export { text };
