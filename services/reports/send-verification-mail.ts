import { eq } from 'drizzle-orm';
import { accounts } from '../../db/schema/accounts.js';
import { emailRecipients } from '../../db/schema/reports.js';
import { escapeHtml as esc } from '../../domain/reports/html.js';
import { REPORT_MESSAGES } from '../../domain/reports/messages.js';
import { RECIPIENT_VERIFICATION_TTL_HOURS } from '../../domain/reports/rules.js';
import type { Services } from '../../platform/services.js';
import { linkSigningKey, signLinkToken, VERIFY_PATH } from './recipient-links.js';
import type { RecipientRow } from './recipient-views.js';

export type TVerificationDeps = Pick<Services, 'db' | 'mailer' | 'secrets' | 'publicUrl'>;

/** Sends the double opt-in mail (both languages: the address has no language yet). */
export async function sendVerificationMail(deps: TVerificationDeps, recipient: RecipientRow): Promise<void> {
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
