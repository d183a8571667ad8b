import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { directoryAccounts } from '../../db/schema/multi-account.js';
import { VigilError } from '../../domain/errors.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import { directoryAccount, type DirectoryRow } from './directory-views.js';

/** Withdraws delegated administration; the next request of that account is refused (rights are never cached). */
export async function removeDelegatedAdmin(
  db: Database,
  opts: { by: MultiAccountActor; directory: DirectoryRow; accountId: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    const target = await directoryAccount(tx, opts.directory, opts.accountId);
    if (!target.delegatedAdminSince) throw new VigilError('not_found', 'delegated administrator not found');
    await tx
      .update(directoryAccounts)
      .set({ delegatedAdminSince: null })
      .where(eq(directoryAccounts.accountId, target.accountId));
    await recordCrossAccountAudit(tx, opts.by, target.accountId, {
      action: 'multi_account.delegated_admin.remove',
      targetType: 'account',
      targetId: target.accountId,
      before: { delegatedAdminSince: target.delegatedAdminSince },
    });
  });
}
