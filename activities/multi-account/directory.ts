import { and, count, eq, gt, isNotNull, ne, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../db/client.js';
import { accounts } from '../../db/schema/accounts.js';
import { directoryAccounts, managedMembers, resourceDirectories } from '../../db/schema/multi-account.js';
import {
  directoryRole,
  MultiAccountRuleError,
  type DirectoryRole,
} from '../../domain/multi-account/directory.js';
import { accountCreatedHooks } from '../accounts/account-hooks.js';
import { createAccount, type CreatedAccount } from '../accounts/api-keys.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';

export type DirectoryRow = typeof resourceDirectories.$inferSelect;

export interface DirectoryStanding {
  directory: DirectoryRow;
  role: DirectoryRole;
}

/** The caller's directory and role in it, read fresh on every request (no caching of administrator rights). */
export async function directoryStanding(db: Executor, accountId: string): Promise<DirectoryStanding | null> {
  const [row] = await db
    .select({ directory: resourceDirectories, delegatedAdminSince: directoryAccounts.delegatedAdminSince })
    .from(directoryAccounts)
    .innerJoin(resourceDirectories, eq(resourceDirectories.id, directoryAccounts.directoryId))
    .where(eq(directoryAccounts.accountId, accountId));
  if (!row) return null;
  const role = directoryRole({
    isManagement: row.directory.accountId === accountId,
    isDelegatedAdmin: row.delegatedAdminSince !== null,
  });
  return { directory: row.directory, role };
}

/** Enables a resource directory; the caller becomes its management account. */
export async function enableDirectory(
  db: Database,
  opts: { by: MultiAccountActor; name: string },
): Promise<DirectoryRow> {
  return db.transaction(async (tx) => {
    if (await directoryStanding(tx, opts.by.accountId)) {
      throw new MultiAccountRuleError('conflict', 'this account already belongs to a resource directory');
    }
    const [directory] = await tx
      .insert(resourceDirectories)
      .values({ accountId: opts.by.accountId, name: opts.name })
      .returning();
    if (!directory) throw new Error('insert returned no row');
    await joinDirectory(tx, {
      directory,
      accountId: opts.by.accountId,
      joinedVia: 'enabled',
      addedBy: opts.by.actor,
    });
    await recordCrossAccountAudit(tx, opts.by, opts.by.accountId, {
      action: 'resource_directory.enable',
      targetType: 'resource_directory',
      targetId: directory.id,
      after: directory,
    });
    return directory;
  });
}

/**
 * Puts an account into a directory (the primary key refuses a second directory) and, when the directory adds new
 * accounts automatically, onto its managed list.
 */
export async function joinDirectory(
  tx: Executor,
  opts: {
    directory: DirectoryRow;
    accountId: string;
    joinedVia: 'enabled' | 'created' | 'invited';
    addedBy: string;
  },
): Promise<{ managed: boolean }> {
  const [joined] = await tx
    .insert(directoryAccounts)
    .values({ accountId: opts.accountId, directoryId: opts.directory.id, joinedVia: opts.joinedVia })
    .onConflictDoNothing()
    .returning();
  if (!joined)
    throw new MultiAccountRuleError('conflict', 'the account already belongs to a resource directory');
  if (opts.joinedVia === 'enabled') return { managed: false };
  // Read the switch inside the transaction: a concurrent PUT /auto-add is either before or after this join.
  const [dir] = await tx
    .select({ autoAdd: resourceDirectories.autoAddNewAccounts })
    .from(resourceDirectories)
    .where(eq(resourceDirectories.id, opts.directory.id));
  if (!dir?.autoAdd) return { managed: false };
  await tx
    .insert(managedMembers)
    .values({
      accountId: opts.accountId,
      directoryId: opts.directory.id,
      addedBy: `auto-add:${opts.addedBy}`,
    })
    .onConflictDoNothing();
  return { managed: true };
}

/** Creates a member account inside the directory; its admin key is in the result (shown once). */
export async function createDirectoryAccount(
  db: Database,
  opts: { by: MultiAccountActor; directory: DirectoryRow; name: string; timeZone?: string },
): Promise<CreatedAccount & { managed: boolean }> {
  let managed = false;
  const created = await createAccount(db, { name: opts.name, timeZone: opts.timeZone }, [
    ...accountCreatedHooks,
    async (tx, account) => {
      ({ managed } = await joinDirectory(tx, {
        directory: opts.directory,
        accountId: account.id,
        joinedVia: 'created',
        addedBy: opts.by.actor,
      }));
      await recordCrossAccountAudit(tx, opts.by, account.id, {
        action: 'resource_directory.account.create',
        targetType: 'account',
        targetId: account.id,
        after: { name: account.name, directoryId: opts.directory.id, managed },
      });
    },
  ]);
  return { ...created, managed };
}

export interface DirectoryAccountRow {
  id: string;
  name: string;
  role: DirectoryRole;
  joinedVia: 'enabled' | 'created' | 'invited';
  joinedAt: Date;
  managed: boolean;
}

/** The directory's accounts with their roles, by account id. */
export async function listDirectoryAccounts(
  db: Executor,
  opts: { directory: DirectoryRow; after?: string; limit: number; role?: DirectoryRole; managed?: boolean },
): Promise<DirectoryAccountRow[]> {
  const d = opts.directory;
  const roleFilter =
    opts.role === 'management'
      ? eq(directoryAccounts.accountId, d.accountId)
      : opts.role === 'delegated-admin'
        ? isNotNull(directoryAccounts.delegatedAdminSince)
        : opts.role === 'member'
          ? and(
              sql`${directoryAccounts.accountId} <> ${d.accountId}`,
              sql`${directoryAccounts.delegatedAdminSince} is null`,
            )
          : undefined;
  const rows = await db
    .select({
      id: directoryAccounts.accountId,
      name: accounts.name,
      joinedVia: directoryAccounts.joinedVia,
      joinedAt: directoryAccounts.joinedAt,
      delegatedAdminSince: directoryAccounts.delegatedAdminSince,
      managedSince: managedMembers.createdAt,
    })
    .from(directoryAccounts)
    .innerJoin(accounts, eq(accounts.id, directoryAccounts.accountId))
    .leftJoin(managedMembers, eq(managedMembers.accountId, directoryAccounts.accountId))
    .where(
      and(
        eq(directoryAccounts.directoryId, d.id),
        opts.after ? gt(directoryAccounts.accountId, opts.after) : undefined,
        roleFilter,
        opts.managed === undefined
          ? undefined
          : opts.managed
            ? isNotNull(managedMembers.accountId)
            : sql`${managedMembers.accountId} is null`,
      ),
    )
    .orderBy(directoryAccounts.accountId)
    .limit(opts.limit + 1);
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    joinedVia: r.joinedVia,
    joinedAt: r.joinedAt,
    managed: r.managedSince !== null,
    role: directoryRole({
      isManagement: r.id === d.accountId,
      isDelegatedAdmin: r.delegatedAdminSince !== null,
    }),
  }));
}

/** One account of the directory, or a rule error naming why it cannot be used. */
export async function directoryAccount(tx: Executor, directory: DirectoryRow, accountId: string) {
  const [row] = await tx
    .select()
    .from(directoryAccounts)
    .where(and(eq(directoryAccounts.accountId, accountId), eq(directoryAccounts.directoryId, directory.id)));
  if (!row) throw new MultiAccountRuleError('not_found', 'no such account in this resource directory');
  return row;
}

/** Either the directory's management account or one of its delegated administrators. */
export function administers(standing: DirectoryStanding | null): standing is DirectoryStanding {
  return standing !== null && (standing.role === 'management' || standing.role === 'delegated-admin');
}

/**
 * Takes an account out of its directory: its membership row goes, and with it its delegated administration (a
 * column of that row, so the next request of that account is refused) and its place on the managed list. The
 * account keeps its own data — findings, agents and its settings revisions (so revision numbers never restart
 * and agents never see an older number again); a settings rollout still running stops at its next pass. Audited
 * in the logs of the acting account and of the other party.
 */
async function detachFromDirectory(
  tx: Executor,
  opts: {
    by: MultiAccountActor;
    directory: DirectoryRow;
    accountId: string;
    otherParty: string;
    action: string;
  },
): Promise<void> {
  // Deleting first takes the row lock: of two concurrent removals, the second finds nothing (404).
  const [member] = await tx
    .delete(directoryAccounts)
    .where(
      and(
        eq(directoryAccounts.accountId, opts.accountId),
        eq(directoryAccounts.directoryId, opts.directory.id),
      ),
    )
    .returning();
  if (!member) throw new MultiAccountRuleError('not_found', 'no such account in this resource directory');
  const [managed] = await tx
    .delete(managedMembers)
    .where(
      and(eq(managedMembers.accountId, opts.accountId), eq(managedMembers.directoryId, opts.directory.id)),
    )
    .returning({ addedBy: managedMembers.addedBy });
  await recordCrossAccountAudit(tx, opts.by, opts.otherParty, {
    action: opts.action,
    targetType: 'account',
    targetId: opts.accountId,
    before: {
      directoryId: opts.directory.id,
      joinedVia: member.joinedVia,
      delegatedAdminSince: member.delegatedAdminSince,
      managed: managed !== undefined,
    },
    after: null,
  });
}

/**
 * The caller leaves its directory. A member or delegated administrator simply leaves (see `detachFromDirectory`).
 * The management account may leave only once no other account is in the directory (409 otherwise); the directory
 * then closes, and its pending invitations go with it.
 */
export async function leaveDirectory(
  db: Database,
  opts: { by: MultiAccountActor },
): Promise<{ directoryId: string; directoryClosed: boolean }> {
  return db.transaction(async (tx) => {
    const standing = await directoryStanding(tx, opts.by.accountId);
    if (!standing) throw new MultiAccountRuleError('not_found', 'resource directory not found');
    const { directory } = standing;
    if (standing.role !== 'management') {
      await detachFromDirectory(tx, {
        by: opts.by,
        directory,
        accountId: opts.by.accountId,
        otherParty: directory.accountId,
        action: 'resource_directory.leave',
      });
      return { directoryId: directory.id, directoryClosed: false };
    }
    // The directory row lock waits for joins in flight (their foreign key holds it), so the count is final.
    await tx
      .select({ id: resourceDirectories.id })
      .from(resourceDirectories)
      .where(eq(resourceDirectories.id, directory.id))
      .for('update');
    const [others] = await tx
      .select({ n: count() })
      .from(directoryAccounts)
      .where(
        and(
          eq(directoryAccounts.directoryId, directory.id),
          ne(directoryAccounts.accountId, directory.accountId),
        ),
      );
    const n = others?.n ?? 0;
    if (n > 0) {
      throw new MultiAccountRuleError(
        'conflict',
        `the management account cannot leave while ${n} other account(s) are in the directory; remove them first`,
        { accounts: n },
      );
    }
    await tx.delete(resourceDirectories).where(eq(resourceDirectories.id, directory.id));
    await recordCrossAccountAudit(tx, opts.by, opts.by.accountId, {
      action: 'resource_directory.leave',
      targetType: 'resource_directory',
      targetId: directory.id,
      before: directory,
      after: { directoryClosed: true },
    });
    return { directoryId: directory.id, directoryClosed: true };
  });
}

/** The management account removes another account from the directory (same effects as that account leaving). */
export async function removeDirectoryAccount(
  db: Database,
  opts: { by: MultiAccountActor; directory: DirectoryRow; accountId: string },
): Promise<void> {
  if (opts.accountId === opts.directory.accountId) {
    throw new MultiAccountRuleError(
      'unprocessable',
      'the management account cannot be removed from its directory; it leaves once no other account is in it',
    );
  }
  await db.transaction((tx) =>
    detachFromDirectory(tx, {
      by: opts.by,
      directory: opts.directory,
      accountId: opts.accountId,
      otherParty: opts.accountId,
      action: 'resource_directory.account.remove',
    }),
  );
}
