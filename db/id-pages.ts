import { and, asc, desc, eq, gt, lt, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Executor } from './client.js';

/*
 * The read behind an id-ordered list (DESIGN §4): a keyset page of one account's rows of a table on their UUIDv7 id,
 * `limit + 1` of them so that `page()` can tell there is a next one. The callers give the table, the page and filters
 * (`undefined` ones are left out, as in `and()`). A list read on every console load names its statement
 * (`statement`), which postgres.js then prepares once per connection.
 */

type AccountTable = PgTable & { id: PgColumn; accountId: PgColumn };
interface PageRead {
  accountId: string;
  limit: number;
  /** The name of the prepared statement, for hot lists. */
  statement?: string;
}

type Filter = SQL | undefined;
/** Reads one page of the account's rows of `table` that match every filter: at most `limit + 1`. */
type PageReader<Cursor> = <T extends AccountTable>(
  db: Executor,
  table: T,
  page: PageRead & Cursor,
  ...filters: Filter[]
) => Promise<T['$inferSelect'][]>;

/** Newest first, with ids below `before`. */
export const newestFirst: PageReader<{ before?: string }> = (db, table, page, ...filters) =>
  idPage(db, table, page.before ? lt(table.id, page.before) : undefined, desc(table.id), page, filters);

/** In id (creation) order, with ids above `after`. */
export const oldestFirst: PageReader<{ after?: string }> = (db, table, page, ...filters) =>
  idPage(db, table, page.after ? gt(table.id, page.after) : undefined, asc(table.id), page, filters);

async function idPage<T extends AccountTable>(
  db: Executor,
  table: T,
  cursor: SQL | undefined,
  orderBy: SQL,
  page: PageRead,
  filters: Filter[],
): Promise<T['$inferSelect'][]> {
  // Drizzle types a generic table's rows loosely; they are `T`'s rows, all columns selected.
  const query = db
    .select()
    .from(table as AccountTable)
    .where(and(eq(table.accountId, page.accountId), ...filters, cursor))
    .orderBy(orderBy)
    .limit(page.limit + 1);
  return page.statement === undefined ? query : query.prepare(page.statement).execute();
}
