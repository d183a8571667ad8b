import type { Executor } from '../../db/client.js';
import { recordAudit, type AuditEntry } from '../../db/audit.js';

/** Who acts, as the HTTP layer knows it (`auditActor(c)`). */
export interface MultiAccountActor {
  accountId: string;
  actor: string;
  requestId?: string | null;
}

/**
 * One change, written to the acting account's audit log and to the affected account's log, where the row names
 * the acting account (`actorAccountId`) and its key (`actor`) — "an administrator's actions appear in the member's
 * audit log" (DESIGN §9).
 */
export async function recordCrossAccountAudit(
  tx: Executor,
  by: MultiAccountActor,
  affectedAccountId: string,
  entry: Omit<AuditEntry, 'accountId' | 'actor' | 'actorAccountId' | 'requestId'>,
): Promise<void> {
  const common = { ...entry, actor: by.actor, requestId: by.requestId ?? null };
  await recordAudit(tx, { ...common, accountId: by.accountId });
  if (affectedAccountId !== by.accountId) {
    await recordAudit(tx, { ...common, accountId: affectedAccountId, actorAccountId: by.accountId });
  }
}
