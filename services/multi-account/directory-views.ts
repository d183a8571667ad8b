import { and, eq, gt, isNotNull, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { reusedQuery } from '../../platform/reused-queries.js';
import { accounts } from '../../db/schema/accounts.js';
import { directoryAccounts, managedMembers, resourceDirectories } from '../../db/schema/multi-account.js';
import { directoryRole, type DirectoryRole } from '../../domain/multi-account/directory.js';
import { notFound, VigilError } from '../../domain/errors.js';

/**
 * Read models of the resource directory: who stands where, the account and managed-member lists, and the two
 * tenancy checks every multi-account endpoint starts with (anyone else gets the 404 of an unknown resource,
 * DESIGN §3.2).
 */

export type DirectoryRow = typeof resourceDirectories.$inferSelect;

export interface DirectoryStanding {
  directory: DirectoryRow;
  role: DirectoryRole;
}

/** The caller's directory and role in it, read fresh on every request (no caching of administrator rights). */
export async function directoryStanding(db: Executor, accountId: string): Promise<DirectoryStanding | null> {
  const query = reusedQuery(db, 'directory_standing', () =>
    db
      .select({ directory: resourceDirectories, delegatedAdminSince: directoryAccounts.delegatedAdminSince })
      .from(directoryAccounts)
      .innerJoin(resourceDirectories, eq(resourceDirectories.id, directoryAccounts.directoryId))
      .where(eq(directoryAccounts.accountId, sql.placeholder('accountId')))
      .prepare('directory_standing'),
  );
  const [row] = await query.execute({ accountId });
  if (!row) return null;
  const role = directoryRole({
    isManagement: row.directory.accountId === accountId,
    isDelegatedAdmin: row.delegatedAdminSince !== null,
  });
  return { directory: row.directory, role };
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
  if (!row) throw new VigilError('not_found', 'no such account in this resource directory');
  return row;
}

/** Either the directory's management account or one of its delegated administrators. */
export function administers(standing: DirectoryStanding | null): standing is DirectoryStanding {
  return standing !== null && (standing.role === 'management' || standing.role === 'delegated-admin');
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
  const query = reusedQuery(db, 'administered_member', () =>
    db
      .select({ directory: resourceDirectories, delegatedAdminSince: directoryAccounts.delegatedAdminSince })
      .from(managedMembers)
      .innerJoin(resourceDirectories, eq(resourceDirectories.id, managedMembers.directoryId))
      .innerJoin(
        directoryAccounts,
        and(
          eq(directoryAccounts.directoryId, managedMembers.directoryId),
          eq(directoryAccounts.accountId, sql.placeholder('callerAccountId')),
        ),
      )
      .where(eq(managedMembers.accountId, sql.placeholder('memberId')))
      .prepare('administered_member'),
  );
  const [row] = await query.execute({ callerAccountId, memberId });
  if (!row) return null;
  const isAdmin = row.directory.accountId === callerAccountId || row.delegatedAdminSince !== null;
  return isAdmin ? { memberId, directory: row.directory } : null;
}

/**
 * The caller's directory when it administers it — the management account, or (unless `managementOnly`) a current
 * delegated administrator. Anyone else gets the same 404 as for an unknown resource (DESIGN §3.2).
 */
export async function administeredDirectory(
  db: Executor,
  callerAccountId: string,
  opts: { managementOnly?: boolean } = {},
): Promise<DirectoryStanding> {
  const standing = await directoryStanding(db, callerAccountId);
  if (!administers(standing)) throw notFound('multi-account control');
  if (opts.managementOnly && standing.role !== 'management') throw notFound('multi-account control');
  return standing;
}

/** A member the caller administers, else 404: the one tenancy check of every per-member endpoint. */
export async function managedMemberOf(db: Executor, callerAccountId: string, memberId: string) {
  const found = await administeredMember(db, callerAccountId, memberId);
  if (!found) throw notFound('managed member');
  return found;
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
