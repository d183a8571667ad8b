import { and, eq, inArray } from 'drizzle-orm';
import { directoryAccounts, managedMembers } from '../../db/schema/multi-account.js';
import { VigilError } from '../../domain/errors.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import { applyEffectiveSettings } from './apply-effective-settings.js';
import type { DirectoryRow } from './directory-views.js';
import type { SettingsRevisionRow } from './rollout-state.js';
import { startSavedRollouts } from './start-saved-rollouts.js';
import type { RolloutServices } from './start-settings-rollout.js';

/**
 * Adds directory accounts to the managed list (idempotent); the management account itself cannot be managed. A
 * newly added member inherits the directory's settings policy at once (a revision and its rollout).
 */
export async function addManagedMembers(
  services: RolloutServices,
  opts: { by: MultiAccountActor; directory: DirectoryRow; accountIds: string[] },
): Promise<{ added: string[]; alreadyManaged: string[] }> {
  const ids = [...new Set(opts.accountIds)];
  if (ids.includes(opts.directory.accountId)) {
    throw new VigilError('unprocessable', 'the management account cannot be a managed member', {
      accountIds: [opts.directory.accountId],
    });
  }
  const result = await services.db.transaction(async (tx) => {
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
    const revisions: SettingsRevisionRow[] = [];
    for (const id of added) {
      await recordCrossAccountAudit(tx, opts.by, id, {
        action: 'multi_account.member.add',
        targetType: 'account',
        targetId: id,
        after: { directoryId: opts.directory.id },
      });
      const revision = await applyEffectiveSettings(tx, {
        by: opts.by,
        memberId: id,
        cause: 'added to the managed list',
      });
      if (revision) revisions.push(revision);
    }
    return { added, alreadyManaged: ids.filter((id) => !added.includes(id)), revisions };
  });
  await startSavedRollouts(services, { revisions: result.revisions, adminAccountId: opts.by.accountId });
  return { added: result.added, alreadyManaged: result.alreadyManaged };
}
