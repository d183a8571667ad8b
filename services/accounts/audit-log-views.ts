import { and, desc, eq, lt } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { auditLog } from '../../db/schema/audit.js';

export type AuditLogRow = typeof auditLog.$inferSelect;

/**
 * One page of the account's audit log, newest first (one more row than `limit` when there is a next page), optionally
 * of one action or one target.
 */
export async function listAuditLog(
  db: Executor,
  opts: { accountId: string; before?: string; limit: number; action?: string; targetId?: string },
): Promise<AuditLogRow[]> {
  return db
    .select()
    .from(auditLog)
    .where(
      and(
        eq(auditLog.accountId, opts.accountId),
        opts.before ? lt(auditLog.id, opts.before) : undefined,
        opts.action ? eq(auditLog.action, opts.action) : undefined,
        opts.targetId ? eq(auditLog.targetId, opts.targetId) : undefined,
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(opts.limit + 1)
    .prepare('list_audit_log')
    .execute();
}
