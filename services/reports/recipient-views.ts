import { and, eq, gt, inArray } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { emailRecipients } from '../../db/schema/reports.js';

export type RecipientRow = typeof emailRecipients.$inferSelect;

/** One page of the account's recipients (one more row than `limit` when there is a next page). */
export async function listRecipients(
  db: Executor,
  opts: { accountId: string; after?: string; limit: number },
): Promise<RecipientRow[]> {
  return db
    .select()
    .from(emailRecipients)
    .where(
      and(
        eq(emailRecipients.accountId, opts.accountId),
        opts.after ? gt(emailRecipients.id, opts.after) : undefined,
      ),
    )
    .orderBy(emailRecipients.id)
    .limit(opts.limit + 1);
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
