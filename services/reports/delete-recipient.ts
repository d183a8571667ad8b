import { and, eq, sql } from 'drizzle-orm';
import { recordAudit, type AuditEntry } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import { emailRecipients, reports } from '../../db/schema/reports.js';
import { notFound } from '../../domain/errors.js';

/** Removes a recipient, and its address from every report of the account, audited in the same transaction. */
export async function deleteRecipient(
  db: Database,
  actor: Pick<AuditEntry, 'accountId' | 'actor' | 'requestId'>,
  opts: { id: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [before] = await tx
      .delete(emailRecipients)
      .where(and(eq(emailRecipients.id, opts.id), eq(emailRecipients.accountId, actor.accountId)))
      .returning();
    if (!before) throw notFound('email recipient');
    await tx
      .update(reports)
      .set({ recipients: sql`array_remove(${reports.recipients}, ${before.email})` })
      .where(and(eq(reports.accountId, actor.accountId), sql`${before.email} = any(${reports.recipients})`));
    await recordAudit(tx, {
      ...actor,
      action: 'email_recipient.delete',
      targetType: 'email_recipient',
      targetId: opts.id,
      before,
    });
  });
}
