import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { accounts } from '../../db/schema/accounts.js';

/** The account's IANA time zone (report periods, baseline check hours, maintenance windows default to it). */
export async function accountTimeZone(db: Executor, accountId: string): Promise<string> {
  const [row] = await db
    .select({ timeZone: accounts.timeZone })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  return row?.timeZone ?? 'UTC';
}
