import { and, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { oldestFirst } from '../../db/id-pages.js';
import { emailRecipients } from '../../db/schema/reports.js';

export type RecipientRow = typeof emailRecipients.$inferSelect;

/** One page of the account's recipients (one more row than `limit` when there is a next page). */
export async function listRecipients(
  db: Executor,
  opts: { accountId: string; after?: string; limit: number },
): Promise<RecipientRow[]> {
  return oldestFirst(db, emailRecipients, opts);
}

/** Verified recipients of a report (lower-cased addresses listed on it and verified in the account). */
export async function verifiedRecipients(db: Executor, accountId: string, addresses: readonly string[]) {
  if (addresses.length === 0) return [];
  return db
    .select({ id: emailRecipients.id, email: emailRecipients.email })
    .from(emailRecipients)
    .where(
      and(
        eq(emailRecipients.accountId, accountId),
        inArray(emailRecipients.email, [...addresses]),
        eq(emailRecipients.status, 'verified'),
      ),
    )
    .orderBy(emailRecipients.id);
}
