import type { Executor } from '../../db/client.js';
import { equals, newestFirst } from '../../db/id-pages.js';
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
  return newestFirst(
    db,
    auditLog,
    { ...opts, statement: 'list_audit_log' },
    equals(auditLog.action, opts.action || undefined),
    equals(auditLog.targetId, opts.targetId || undefined),
  );
}
