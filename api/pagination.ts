import { z } from '@hono/zod-openapi';
import { asc, desc, gt, lt, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Context } from 'hono';
import type { AppEnv } from './context.js';
import { badRequest } from './errors.js';
import type { Database } from '../db/client.js';
import { isUuid } from '../domain/ids.js';

/*
 * How lists page (DESIGN §4): keyset pagination on the UUIDv7 id (creation order), or on (rank, id) for ranked
 * searches. A page is an index range scan from the cursor that stops after `limit + 1` rows, so the millionth row
 * costs what the first does. Lists carry no total count: a count is a scan of every matching row on every page,
 * the cost grows with the fleet, and it is stale by the next write. Like GitHub's and Stripe's cursor APIs, a client
 * learns there is more from `nextCursor`; the figures an operator needs (open vulnerabilities by severity, unhandled
 * alerts) come from counters kept by triggers (`risk_counts`, the member risk view), not from list endpoints.
 */

export const MAX_PAGE_SIZE = 500;

export const ZPageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
  cursor: z.string().max(200).optional(),
});

/**
 * Cursors are opaque: base64url of the last id seen and, for lists ordered by a relevance rank first, that row's
 * rank. Ids are UUIDv7, so id order is creation order.
 */
export function encodeCursor(lastId: string, rank?: number): string {
  return Buffer.from(
    JSON.stringify(rank === undefined ? { after: lastId } : { after: lastId, rank }),
  ).toString('base64url');
}

const INVALID_CURSOR = 'cursor is not valid; pass back the nextCursor of a previous page';

/** The id and (for ranked lists) the rank a cursor continues after. */
export function decodeRankedCursor(cursor: string | undefined): { after?: string; afterRank?: number } {
  if (cursor === undefined || cursor === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badRequest(INVALID_CURSOR);
  }
  const { after, rank } = (parsed ?? {}) as { after?: unknown; rank?: unknown };
  if (typeof after !== 'string' || !isUuid(after)) throw badRequest(INVALID_CURSOR);
  if (rank !== undefined && !Number.isSafeInteger(rank)) throw badRequest(INVALID_CURSOR);
  return { after, afterRank: rank as number | undefined };
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  return decodeRankedCursor(cursor).after;
}

/**
 * The keyset condition and order of an id-ordered list: rows after the cursor's id in ascending order, or before it
 * in descending (newest-first) order. Fetch `limit + 1` rows with them and hand the rows to `page()`.
 */
export function keyset(
  id: PgColumn,
  cursor: string | undefined,
  direction: 'asc' | 'desc' = 'asc',
): { where: SQL | undefined; orderBy: SQL } {
  const from = decodeCursor(cursor);
  if (direction === 'asc') return { where: from ? gt(id, from) : undefined, orderBy: asc(id) };
  return { where: from ? lt(id, from) : undefined, orderBy: desc(id) };
}

/** Rows fetched with `limit + 1` become a page and the cursor of the next one (carrying the rank of ranked rows). */
export function page<T extends { id: string; rank?: number }>(
  rows: T[],
  limit: number,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id, last.rank) : null };
}

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** What a list reads for one page of the caller's account: rows after the cursor's id, at most `limit + 1`. */
export interface TAccountKeyset {
  accountId: string;
  after: string | undefined;
  limit: number;
}

/**
 * One page of a list of the caller's account: `fetch` reads the rows after the query's cursor, `toDto` gives each
 * its response form. The handler of a plain list is `c.json(await accountPage(c, q, listThings, toDto), 200)`.
 */
export async function accountPage<T extends { id: string; rank?: number }, D>(
  c: Context<AppEnv>,
  q: { limit: number; cursor?: string },
  fetch: (db: Database, keyset: TAccountKeyset) => Promise<T[]>,
  toDto: (row: T) => D,
): Promise<{ items: D[]; nextCursor: string | null }> {
  const keyset = { accountId: c.get('caller').accountId, after: decodeCursor(q.cursor), limit: q.limit };
  const p = page(await fetch(c.get('services').db, keyset), q.limit);
  return { items: p.items.map(toDto), nextCursor: p.nextCursor };
}
