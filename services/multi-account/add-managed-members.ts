import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { directoryAccounts, managedMembers } from '../../db/schema/multi-account.js';
import { VigilError } from '../../domain/errors.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import type { DirectoryRow } from './directory-views.js';

/** Adds directory accounts to the managed list (idempotent); the management account itself cannot be managed. */
export async function addManagedMembers(
  db: Database,
  opts: { by: MultiAccountActor; directory: DirectoryRow; accountIds: string[] },
): Promise<{ added: string[]; alreadyManaged: string[] }> {
  const ids = [...new Set(opts.accountIds)];
  if (ids.includes(opts.directory.accountId)) {
    throw new VigilError('unprocessable', 'the management account cannot be a managed member', {
      accountIds: [opts.directory.accountId],
    });
  }
  return db.transaction(async (tx) => {
    const inDirectory = await tx
      .select({ id: directoryAccounts.accountId })
      .from(directoryAccounts)
      .where(
        and(eq(directoryAccounts.directoryId, opts.directory.id), inArray(directoryAccounts.accountId, ids)),
      );
    const known = new Set(inDirectory.map((r) => r.id));
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new VigilError(
        'unprocessable',
        `${unknown.length} account(s) are not in this resource directory`,
        {
          accountIds: unknown,
        },
      );
    }
    const inserted = await tx
      .insert(managedMembers)
      .values(ids.map((accountId) => ({ accountId, directoryId: opts.directory.id, addedBy: opts.by.actor })))
      .onConflictDoNothing()
      .returning({ id: managedMembers.accountId });
    const added = inserted.map((r) => r.id);
    for (const id of added) {
      await recordCrossAccountAudit(tx, opts.by, id, {
        action: 'multi_account.member.add',
        targetType: 'account',
        targetId: id,
        after: { directoryId: opts.directory.id },
      });
    }
    return { added, alreadyManaged: ids.filter((id) => !added.includes(id)) };
  });
}
