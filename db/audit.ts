import type { Executor } from './client.js';
import { auditLog } from './schema/audit.js';

export interface AuditEntry {
  accountId: string;
  actor: string;
  actorAccountId?: string | null;
  action: string;
  targetType: string;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
  requestId?: string | null;
}

/** Writes one audit row; call it inside the transaction that makes the change (DESIGN §3.9). */
export async function recordAudit(db: Executor, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    accountId: entry.accountId,
    actor: entry.actor,
    actorAccountId: entry.actorAccountId ?? null,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId ?? null,
    before: entry.before ?? null,
    after: entry.after ?? null,
    requestId: entry.requestId ?? null,
  });
}
