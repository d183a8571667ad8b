import { and, eq } from 'drizzle-orm';
import { recordAudit, type AuditEntry } from '../../db/audit.js';
import { emailRecipients } from '../../db/schema/reports.js';
import { normalizeEmail } from '../../domain/reports/definition.js';
import type { RecipientRow } from './recipient-views.js';
import { sendVerificationMail, type TVerificationDeps } from './send-verification-mail.js';

/**
 * Adds an address (pending) and mails it a signed, expiring verification link. Adding a pending or unsubscribed
 * address again re-sends the link; a verified one is returned as it is.
 */
export async function addRecipient(
  deps: TVerificationDeps,
  actor: Pick<AuditEntry, 'accountId' | 'actor' | 'requestId'>,
  email: string,
): Promise<{ recipient: RecipientRow; created: boolean }> {
  const address = normalizeEmail(email);
  const { recipient, created } = await deps.db.transaction(async (tx) => {
    const [inserted] = await tx
      .insert(emailRecipients)
      .values({ accountId: actor.accountId, email: address })
      .onConflictDoNothing()
      .returning();
    if (inserted) {
      await recordAudit(tx, {
        ...actor,
        action: 'email_recipient.create',
        targetType: 'email_recipient',
        targetId: inserted.id,
        after: inserted,
      });
      return { recipient: inserted, created: true };
    }
    const [existing] = await tx
      .select()
      .from(emailRecipients)
      .where(and(eq(emailRecipients.accountId, actor.accountId), eq(emailRecipients.email, address)));
    if (!existing) throw new Error('recipient vanished');
    if (existing.status === 'unsubscribed') {
      const [reset] = await tx
        .update(emailRecipients)
        .set({ status: 'pending', unsubscribedAt: null, verifiedAt: null })
        .where(eq(emailRecipients.id, existing.id))
        .returning();
      await recordAudit(tx, {
        ...actor,
        action: 'email_recipient.resubscribe',
        targetType: 'email_recipient',
        targetId: existing.id,
        before: existing,
        after: reset,
      });
      return { recipient: reset ?? existing, created: false };
    }
    return { recipient: existing, created: false };
  });
  if (recipient.status === 'pending') await sendVerificationMail(deps, recipient);
  return { recipient, created };
}
