import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { resourceDirectories } from '../../db/schema/multi-account.js';
import { VigilError } from '../../domain/errors.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import type { DirectoryRow } from './directory-views.js';

/** "Add newly created accounts automatically" on the Multi-account Control page. */
export async function setAutoAdd(
  db: Database,
  opts: { by: MultiAccountActor; directory: DirectoryRow; enabled: boolean },
): Promise<DirectoryRow> {
  return db.transaction(async (tx) => {
    const [after] = await tx
      .update(resourceDirectories)
      .set({ autoAddNewAccounts: opts.enabled })
      .where(eq(resourceDirectories.id, opts.directory.id))
      .returning();
    if (!after) throw new VigilError('not_found', 'resource directory not found');
    await recordCrossAccountAudit(tx, opts.by, opts.by.accountId, {
      action: 'multi_account.auto_add.set',
      targetType: 'resource_directory',
      targetId: after.id,
      before: { autoAddNewAccounts: opts.directory.autoAddNewAccounts },
      after: { autoAddNewAccounts: after.autoAddNewAccounts },
    });
    return after;
  });
}
