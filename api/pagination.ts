import { z } from '@hono/zod-openapi';
import { badRequest } from './errors.js';
import { isUuid } from '../domain/ids.js';

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
