import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { directoryAccounts } from '../../db/schema/multi-account.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';

/**
 * Writes a member's delegated administration (a date grants it, null withdraws it) and its audit row, in the
 * caller's transaction; the add and remove operations check their rules first.
 */
export async function writeDelegatedAdmin(
  tx: Executor,
  by: MultiAccountActor,
  target: { accountId: string; delegatedAdminSince: Date | null },
  since: Date | null,
): Promise<void> {
  await tx
    .update(directoryAccounts)
    .set({ delegatedAdminSince: since })
    .where(eq(directoryAccounts.accountId, target.accountId));
  await recordCrossAccountAudit(tx, by, target.accountId, {
    action: since ? 'multi_account.delegated_admin.add' : 'multi_account.delegated_admin.remove',
    targetType: 'account',
    targetId: target.accountId,
    ...(since
      ? { after: { delegatedAdminSince: since } }
      : { before: { delegatedAdminSince: target.delegatedAdminSince } }),
  });
}
