import { and, eq, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Executor } from '../../db/client.js';

type FindingTable = PgTable & { id: PgColumn; accountId: PgColumn };

/**
 * One page of a findings list (vulnerabilities, alerts, baseline risks, attacks): the account's rows matching the
 * filters, from the keyset condition on, `limit` rows in `orderBy` order. Each filter combination has an index ending
 * in the id (migration 0027), so this is a range scan that stops after `limit` rows. The statement is prepared: on
 * Postgres, postgres.js keeps it per connection by its text, so the hot list queries are parsed and planned once.
 */
export async function listFindings(
  db: Executor,
  table: FindingTable,
  opts: { accountId: string; conditions: (SQL | undefined)[]; orderBy: SQL; limit: number },
): Promise<Record<string, unknown>[]> {
  const query = db
    .select()
    .from(table)
    .where(and(eq(table.accountId, opts.accountId), ...opts.conditions))
    .orderBy(opts.orderBy)
    .limit(opts.limit);
  return (await query.prepare('list_findings').execute()) as Record<string, unknown>[];
}
