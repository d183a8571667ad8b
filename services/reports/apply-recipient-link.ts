import { and, eq } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import { emailRecipients } from '../../db/schema/reports.js';
import type { Services } from '../../platform/services.js';
import { linkSigningKey, readLinkToken, type TLinkPurpose } from './recipient-links.js';
import type { RecipientRow } from './recipient-views.js';

/** Applies a verification or unsubscribe link; the link itself is the credential (no API key). */
export async function applyRecipientLink(
  deps: Pick<Services, 'db' | 'secrets'>,
  token: string,
  purpose: TLinkPurpose,
  requestId?: string,
): Promise<{ ok: true; recipient: RecipientRow } | { ok: false; reason: string }> {
  const check = readLinkToken(linkSigningKey(deps.secrets), token, purpose, new Date());
  if (!check.ok) return check;
  return deps.db.transaction(async (tx) => {
    const [before] = await tx
      .select()
      .from(emailRecipients)
      .where(and(eq(emailRecipients.id, check.recipientId), eq(emailRecipients.accountId, check.accountId)));
    if (!before) return { ok: false as const, reason: 'this address is no longer a recipient' };
    const next =
      purpose === 'verify'
        ? before.status === 'pending'
          ? { status: 'verified' as const, verifiedAt: new Date() }
          : null
        : before.status !== 'unsubscribed'
          ? { status: 'unsubscribed' as const, unsubscribedAt: new Date() }
          : null;
    if (!next) return { ok: true as const, recipient: before };
    const [after] = await tx
      .update(emailRecipients)
      .set(next)
      .where(eq(emailRecipients.id, before.id))
      .returning();
    await recordAudit(tx, {
      accountId: before.accountId,
      actor: `recipient:${before.id}`,
      action: purpose === 'verify' ? 'email_recipient.verify' : 'email_recipient.unsubscribe',
      targetType: 'email_recipient',
      targetId: before.id,
      before,
      after,
      requestId,
    });
    return { ok: true as const, recipient: after ?? before };
  });
}
