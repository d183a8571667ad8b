import { and, desc, eq, lt, or } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { directoryInvitations, resourceDirectories } from '../../db/schema/multi-account.js';

export type InvitationRow = typeof directoryInvitations.$inferSelect;

/** Invitations the account received, and those its directory sent when it is the management account; newest first. */
export async function listInvitations(
  db: Executor,
  opts: { accountId: string; before?: string; limit: number },
): Promise<(InvitationRow & { directoryName: string })[]> {
  const rows = await db
    .select({ invitation: directoryInvitations, directoryName: resourceDirectories.name })
    .from(directoryInvitations)
    .innerJoin(resourceDirectories, eq(resourceDirectories.id, directoryInvitations.directoryId))
    .where(
      and(
        or(
          eq(directoryInvitations.inviteeAccountId, opts.accountId),
          eq(directoryInvitations.accountId, opts.accountId),
        ),
        opts.before ? lt(directoryInvitations.id, opts.before) : undefined,
      ),
    )
    .orderBy(desc(directoryInvitations.id))
    .limit(opts.limit + 1);
  return rows.map((r) => ({ ...r.invitation, directoryName: r.directoryName }));
}
