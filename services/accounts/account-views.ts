import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { accounts } from '../../db/schema/accounts.js';
import { notFound } from '../../domain/errors.js';

/** The account's IANA time zone (report periods, baseline check hours, maintenance windows default to it). */
export async function accountTimeZone(db: Executor, accountId: string): Promise<string> {
  const [row] = await db
    .select({ timeZone: accounts.timeZone })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  return row?.timeZone ?? 'UTC';
}

export type AccountRow = typeof accounts.$inferSelect;

/** The account, or a 404. */
export async function loadAccount(db: Executor, accountId: string): Promise<AccountRow> {
  const [row] = await db.select().from(accounts).where(eq(accounts.id, accountId));
  if (!row) throw notFound('account');
  return row;
}
