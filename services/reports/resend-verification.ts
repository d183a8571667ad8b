import { and, eq } from 'drizzle-orm';
import { recordAudit, type AuditEntry } from '../../db/audit.js';
import { emailRecipients } from '../../db/schema/reports.js';
import { conflict, notFound } from '../../domain/errors.js';
import type { RecipientRow } from './recipient-views.js';
import { sendVerificationMail, type TVerificationDeps } from './send-verification-mail.js';

/**
 * "Resend verification": mails a pending address a fresh signed link (the old one keeps working until it expires).
 * A verified address needs none and an unsubscribed one must be added again (409: the person said no).
 * `admit` runs before the send, so the caller's mail throttle can refuse it.
 */
export async function resendVerification(
  deps: TVerificationDeps,
  actor: Pick<AuditEntry, 'accountId' | 'actor' | 'requestId'>,
  opts: { id: string; admit?: (email: string) => void },
): Promise<RecipientRow> {
  const [recipient] = await deps.db
    .select()
    .from(emailRecipients)
    .where(and(eq(emailRecipients.id, opts.id), eq(emailRecipients.accountId, actor.accountId)));
  if (!recipient) throw notFound('email recipient');
  if (recipient.status === 'verified') throw conflict(`${recipient.email} is already verified`);
  if (recipient.status === 'unsubscribed') {
    throw conflict(
      `${recipient.email} unsubscribed; add it again with POST /v1/email-recipients to re-invite it`,
    );
  }
  opts.admit?.(recipient.email);
  await sendVerificationMail(deps, recipient);
  await recordAudit(deps.db, {
    ...actor,
    action: 'email_recipient.resend_verification',
    targetType: 'email_recipient',
    targetId: recipient.id,
  });
  const [after] = await deps.db.select().from(emailRecipients).where(eq(emailRecipients.id, recipient.id));
  return after ?? recipient;
}
