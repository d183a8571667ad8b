import { z } from '@hono/zod-openapi';
import { badRequest } from './errors.js';
import { isUuid } from '../domain/ids.js';

export const MAX_PAGE_SIZE = 500;

export const ZPageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
  cursor: z.string().max(200).optional(),
});

/** Cursors are opaque: base64url of the last id seen. Ids are UUIDv7, so id order is creation order. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId })).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('cursor is not valid; pass back the nextCursor of a previous page');
  }
  const after = (parsed as { after?: unknown } | null)?.after;
  if (typeof after !== 'string' || !isUuid(after)) {
    throw badRequest('cursor is not valid; pass back the nextCursor of a previous page');
  }
  return after;
}

/** Rows fetched with `limit + 1` become a page and the cursor of the next one. */
export function page<T extends { id: string }>(
  rows: T[],
  limit: number,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
