import { and, count, eq, gt, inArray, isNotNull } from 'drizzle-orm';
import type { Database, Executor } from '../../db/client.js';
import { accounts } from '../../db/schema/accounts.js';
import { directoryAccounts, managedMembers, resourceDirectories } from '../../db/schema/multi-account.js';
import { MAX_DELEGATED_ADMINS, MultiAccountRuleError } from '../../domain/multi-account/directory.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import { directoryAccount, type DirectoryRow } from './directory.js';

/** Designates a member account as a delegated administrator (management account only; at most five). */
export async function addDelegatedAdmin(
  db: Database,
  opts: { by: MultiAccountActor; directory: DirectoryRow; accountId: string },
): Promise<{ accountId: string; since: Date }> {
  return db.transaction(async (tx) => {
    // The directory row lock serialises concurrent designations, so the cap holds exactly.
    await tx
      .select({ id: resourceDirectories.id })
      .from(resourceDirectories)
      .where(eq(resourceDirectories.id, opts.directory.id))
      .for('update');
    const target = await directoryAccount(tx, opts.directory, opts.accountId);
    if (target.accountId === opts.directory.accountId) {
      throw new MultiAccountRuleError(
        'unprocessable',
        'the management account cannot be its own delegated administrator',
      );
    }
    if (target.delegatedAdminSince) return { accountId: target.accountId, since: target.delegatedAdminSince };
    const [current] = await tx
      .select({ n: count() })
      .from(directoryAccounts)
      .where(
        and(
          eq(directoryAccounts.directoryId, opts.directory.id),
          isNotNull(directoryAccounts.delegatedAdminSince),
        ),
      );
    if ((current?.n ?? 0) >= MAX_DELEGATED_ADMINS) {
      throw new MultiAccountRuleError(
        'unprocessable',
        `a resource directory has at most ${MAX_DELEGATED_ADMINS} delegated administrators (MAX_DELEGATED_ADMINS); remove one first`,
        { limit: MAX_DELEGATED_ADMINS, current: current?.n ?? 0 },
      );
    }
    const since = new Date();
    await tx
      .update(directoryAccounts)
      .set({ delegatedAdminSince: since })
      .where(eq(directoryAccounts.accountId, target.accountId));
    await recordCrossAccountAudit(tx, opts.by, target.accountId, {
      action: 'multi_account.delegated_admin.add',
      targetType: 'account',
      targetId: target.accountId,
      after: { delegatedAdminSince: since },
    });
    return { accountId: target.accountId, since };
  });
}

/** Withdraws delegated administration; the next request of that account is refused (rights are never cached). */
export async function removeDelegatedAdmin(
  db: Database,
  opts: { by: MultiAccountActor; directory: DirectoryRow; accountId: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    const target = await directoryAccount(tx, opts.directory, opts.accountId);
    if (!target.delegatedAdminSince)
      throw new MultiAccountRuleError('not_found', 'delegated administrator not found');
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

export async function listDelegatedAdmins(db: Executor, directory: DirectoryRow) {
  return db
    .select({
      accountId: directoryAccounts.accountId,
      name: accounts.name,
      since: directoryAccounts.delegatedAdminSince,
    })
    .from(directoryAccounts)
    .innerJoin(accounts, eq(accounts.id, directoryAccounts.accountId))
    .where(
      and(eq(directoryAccounts.directoryId, directory.id), isNotNull(directoryAccounts.delegatedAdminSince)),
    )
    .orderBy(directoryAccounts.delegatedAdminSince);
}

/** Adds directory accounts to the managed list (idempotent); the management account itself cannot be managed. */
export async function addManagedMembers(
  db: Database,
  opts: { by: MultiAccountActor; directory: DirectoryRow; accountIds: string[] },
): Promise<{ added: string[]; alreadyManaged: string[] }> {
  const ids = [...new Set(opts.accountIds)];
  if (ids.includes(opts.directory.accountId)) {
    throw new MultiAccountRuleError('unprocessable', 'the management account cannot be a managed member', {
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
      throw new MultiAccountRuleError(
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

export async function removeManagedMember(
  db: Database,
  opts: { by: MultiAccountActor; directory: DirectoryRow; accountId: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [gone] = await tx
      .delete(managedMembers)
      .where(
        and(eq(managedMembers.directoryId, opts.directory.id), eq(managedMembers.accountId, opts.accountId)),
      )
      .returning();
    if (!gone) throw new MultiAccountRuleError('not_found', 'managed member not found');
    await recordCrossAccountAudit(tx, opts.by, gone.accountId, {
      action: 'multi_account.member.remove',
      targetType: 'account',
      targetId: gone.accountId,
      before: { directoryId: gone.directoryId, addedBy: gone.addedBy },
    });
  });
}

export async function listManagedMembers(
  db: Executor,
  opts: { directory: DirectoryRow; after?: string; limit: number },
) {
  return db
    .select({
      id: managedMembers.accountId,
      name: accounts.name,
      addedBy: managedMembers.addedBy,
      addedAt: managedMembers.createdAt,
    })
    .from(managedMembers)
    .innerJoin(accounts, eq(accounts.id, managedMembers.accountId))
    .where(
      and(
        eq(managedMembers.directoryId, opts.directory.id),
        opts.after ? gt(managedMembers.accountId, opts.after) : undefined,
      ),
    )
    .orderBy(managedMembers.accountId)
    .limit(opts.limit + 1);
}

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
    if (!after) throw new MultiAccountRuleError('not_found', 'resource directory not found');
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

/**
 * The managed member `memberId` if `callerAccountId` administers it (its directory's management account or a
 * current delegated administrator); null otherwise. One query, read on every request: DESIGN §3.2 tenancy for
 * multi-account control.
 */
export async function administeredMember(
  db: Executor,
  callerAccountId: string,
  memberId: string,
): Promise<{ memberId: string; directory: DirectoryRow } | null> {
  const [row] = await db
    .select({ directory: resourceDirectories, delegatedAdminSince: directoryAccounts.delegatedAdminSince })
    .from(managedMembers)
    .innerJoin(resourceDirectories, eq(resourceDirectories.id, managedMembers.directoryId))
    .innerJoin(
      directoryAccounts,
      and(
        eq(directoryAccounts.directoryId, managedMembers.directoryId),
        eq(directoryAccounts.accountId, callerAccountId),
      ),
    )
    .where(eq(managedMembers.accountId, memberId));
  if (!row) return null;
  const isAdmin = row.directory.accountId === callerAccountId || row.delegatedAdminSince !== null;
  return isAdmin ? { memberId, directory: row.directory } : null;
}
