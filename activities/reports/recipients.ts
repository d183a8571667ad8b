import { and, eq } from 'drizzle-orm';
import type { Services } from '../../api/context.js';
import { recordAudit } from '../../db/audit.js';
import { accounts } from '../../db/schema/accounts.js';
import { emailRecipients } from '../../db/schema/reports.js';
import { normalizeEmail } from '../../domain/reports/definition.js';
import { REPORT_MESSAGES } from '../../domain/reports/messages.js';
import { RECIPIENT_VERIFICATION_TTL_HOURS } from '../../domain/reports/rules.js';
import {
  linkSigningKey,
  readLinkToken,
  signLinkToken,
  VERIFY_PATH,
  type TLinkPurpose,
} from './recipient-links.js';
import { escapeHtml as esc } from '../../domain/reports/html.js';

export type RecipientRow = typeof emailRecipients.$inferSelect;

type Deps = Pick<Services, 'db' | 'mailer' | 'secrets' | 'publicUrl'>;

interface Actor {
  accountId: string;
  actor: string;
  requestId?: string;
}

/** Sends the double opt-in mail (both languages: the address has no language yet). */
async function sendVerificationMail(deps: Deps, recipient: RecipientRow): Promise<void> {
  const [account] = await deps.db
    .select({ name: accounts.name })
    .from(accounts)
    .where(eq(accounts.id, recipient.accountId));
  const token = signLinkToken(linkSigningKey(deps.secrets), {
    purpose: 'verify',
    accountId: recipient.accountId,
    recipientId: recipient.id,
    expiresAt: new Date(Date.now() + RECIPIENT_VERIFICATION_TTL_HOURS * 3_600_000),
  });
  const link = `${deps.publicUrl}${VERIFY_PATH}?token=${token}`;
  const name = account?.name ?? recipient.accountId;
  const langs = [REPORT_MESSAGES.en, REPORT_MESSAGES['zh-CN']];
  await deps.mailer.send({
    to: recipient.email,
    subject: `${REPORT_MESSAGES.en.verifySubject} / ${REPORT_MESSAGES['zh-CN'].verifySubject}`,
    html: langs
      .map(
        (m) =>
          `<p style="font-family:sans-serif">${esc(m.verifyBody(name, RECIPIENT_VERIFICATION_TTL_HOURS))}</p>` +
          `<p style="font-family:sans-serif"><a href="${esc(link)}">${esc(m.verifyButton)}</a></p>`,
      )
      .join('<hr>'),
    text: langs
      .map((m) => `${m.verifyBody(name, RECIPIENT_VERIFICATION_TTL_HOURS)}\n${m.verifyButton}: ${link}`)
      .join('\n\n'),
  });
  await deps.db
    .update(emailRecipients)
    .set({ verificationSentAt: new Date() })
    .where(eq(emailRecipients.id, recipient.id));
}

/**
 * Adds an address (pending) and mails it a signed, expiring verification link. Adding a pending or unsubscribed
 * address again re-sends the link; a verified one is returned as it is.
 */
export async function addRecipient(
  deps: Deps,
  actor: Actor,
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
