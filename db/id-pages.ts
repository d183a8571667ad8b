import { and, asc, desc, eq, getTableName, gt, lt, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { reusedQuery } from '../platform/reused-queries.js';
import type { Executor } from './client.js';

/*
 * The read behind an id-ordered list (DESIGN §4): a keyset page of one account's rows of a table on their UUIDv7 id,
 * `limit + 1` of them so that `page()` can tell there is a next one. The callers give the table, the page and filters
 * (`undefined` ones are left out, as in `and()`). A list read on every console load names its statement
 * (`statement`), which postgres.js then prepares once per connection.
 *
 * A page whose filters are all `equals(column, value)` runs a statement built once per shape (table, order, cursor
 * or none, which columns are compared) with its values as placeholders (platform/reused-queries.ts), so the list is
 * not rebuilt on every request; a page with any other filter (`SQL`) is built for the call.
 */

type AccountTable = PgTable & { id: PgColumn; accountId: PgColumn };
interface PageRead {
  accountId: string;
  limit: number;
  /** The name of the prepared statement, for hot lists. */
  statement?: string;
}

/** `column = value`, kept apart from its value so that the page's statement can be reused. */
export interface Equals {
  column: PgColumn;
  value: unknown;
}
/** A filter on `column = value`, or none when `value` is `undefined`. */
export function equals(column: PgColumn, value: unknown): Equals | undefined {
  return value === undefined ? undefined : { column, value };
}

type Filter = SQL | Equals | undefined;
/** Reads one page of the account's rows of `table` that match every filter: at most `limit + 1`. */
type PageReader<Cursor> = <T extends AccountTable>(
  db: Executor,
  table: T,
  page: PageRead & Cursor,
  ...filters: Filter[]
) => Promise<T['$inferSelect'][]>;

/** Newest first, with ids below `before`. */
export const newestFirst: PageReader<{ before?: string }> = (db, table, page, ...filters) =>
  idPage(db, table, { dir: 'desc', cursor: page.before }, page, filters);

/** In id (creation) order, with ids above `after`. */
export const oldestFirst: PageReader<{ after?: string }> = (db, table, page, ...filters) =>
  idPage(db, table, { dir: 'asc', cursor: page.after }, page, filters);

const isSql = (f: Filter): f is SQL => f !== undefined && !('column' in f && 'value' in f);

async function idPage<T extends AccountTable>(
  db: Executor,
  table: T,
  order: { dir: 'asc' | 'desc'; cursor: string | undefined },
  page: PageRead,
  filters: Filter[],
): Promise<T['$inferSelect'][]> {
  const { dir, cursor } = order;
  const past = dir === 'desc' ? lt : gt;
  const orderBy = dir === 'desc' ? desc(table.id) : asc(table.id);
  // Drizzle types a generic table's rows loosely; they are `T`'s rows, all columns selected.
  const build = (where: (SQL | undefined)[], limit: number | Placeholder) =>
    db
      .select()
      .from(table as AccountTable)
      .where(and(...where))
      .orderBy(orderBy)
      .limit(limit);
  if (filters.some(isSql)) {
    const query = build(
      [
        eq(table.accountId, page.accountId),
        ...filters.map((f) => (f === undefined || isSql(f) ? f : eq(f.column, f.value))),
        cursor ? past(table.id, cursor) : undefined,
      ],
      page.limit + 1,
    );
    return page.statement === undefined ? query : query.prepare(page.statement).execute();
  }
  const present = filters.filter((f): f is Equals => f !== undefined);
  const shape = `id-page:${getTableName(table)}:${dir}:${cursor ? 'cursor' : ''}:${present.map((f) => f.column.name).join(',')}`;
  const query = reusedQuery(db, shape, () =>
    build(
      [
        eq(table.accountId, sql.placeholder('accountId')),
        ...present.map((f, i) => eq(f.column, sql.placeholder(`f${i}`))),
        cursor ? past(table.id, sql.placeholder('cursor')) : undefined,
      ],
      sql.placeholder('limit'),
    ).prepare(page.statement ?? `id_page_${getTableName(table)}`),
  );
  const values: Record<string, unknown> = { accountId: page.accountId, cursor, limit: page.limit + 1 };
  present.forEach((f, i) => (values[`f${i}`] = f.column.mapToDriverValue(f.value)));
  return (await query.execute(values)) as T['$inferSelect'][];
}
