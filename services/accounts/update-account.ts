import { eq } from 'drizzle-orm';
import { recordAudit, type AuditEntry } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import { accounts } from '../../db/schema/accounts.js';
import { notFound } from '../../domain/errors.js';
import type { AccountRow } from './account-views.js';

/** Renames the account or changes its time zone, audited in the same transaction. */
export async function updateAccount(
  db: Database,
  actor: Pick<AuditEntry, 'accountId' | 'actor' | 'requestId'>,
  opts: { name?: string; timeZone?: string },
): Promise<AccountRow> {
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(accounts).where(eq(accounts.id, actor.accountId));
    if (!before) throw notFound('account');
    // A patch that names no field changes nothing: the account as it is, and no audit row.
    if (opts.name === undefined && opts.timeZone === undefined) return before;
    const [after] = await tx.update(accounts).set(opts).where(eq(accounts.id, actor.accountId)).returning();
    if (!after) throw notFound('account');
    await recordAudit(tx, {
      ...actor,
      action: 'account.update',
      targetType: 'account',
      targetId: after.id,
      before,
      after,
    });
    return after;
  });
}
