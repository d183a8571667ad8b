import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { emailRecipients, reportDeliveries, reportRuns } from '../../db/schema/reports.js';
import { errorMessage } from '../../domain/errors.js';
import type { Services } from '../../platform/services.js';
import { unsubscribeUrl } from './recipient-links.js';
import { UNSUBSCRIBE_PLACEHOLDER } from './render-report.js';

export type TSendOutcome = 'sent' | 'alreadySent' | 'notVerified' | 'claimedElsewhere';

type Deps = Pick<Services, 'db' | 'mailer' | 'secrets' | 'publicUrl'>;

/**
 * One mail to one recipient for one run, behind the ledger row (report, period, recipient): claimed before the
 * SMTP send; a row already sent, or claimed by another workflow run (a duplicate trigger), sends nothing. Only
 * the claiming run retries its own unfinished send, with the same Message-ID so receivers can drop a double.
 */
export async function sendReportMail(
  deps: Deps,
  opts: {
    runId: string;
    recipientId: string;
    claimant: string;
  },
): Promise<TSendOutcome> {
  const [run] = await deps.db.select().from(reportRuns).where(eq(reportRuns.id, opts.runId));
  if (!run) throw new Error(`report run ${opts.runId} not found`);
  const [recipient] = await deps.db
    .select()
    .from(emailRecipients)
    .where(and(eq(emailRecipients.id, opts.recipientId), eq(emailRecipients.accountId, run.accountId)));
  if (!recipient || recipient.status !== 'verified') return 'notVerified';
  const digest = createHash('sha256')
    .update(`${run.reportId}|${run.periodKey}|${recipient.id}`)
    .digest('hex');
  const messageId = `<report-${digest.slice(0, 32)}@vigil>`;
  const key = { reportId: run.reportId, periodKey: run.periodKey, recipientId: recipient.id };
  await deps.db
    .insert(reportDeliveries)
    .values({
      accountId: run.accountId,
      ...key,
      runId: run.id,
      email: recipient.email,
      status: 'sending',
      claimedBy: opts.claimant,
      messageId,
    })
    .onConflictDoNothing();
  const where = and(
    eq(reportDeliveries.reportId, key.reportId),
    eq(reportDeliveries.periodKey, key.periodKey),
    eq(reportDeliveries.recipientId, key.recipientId),
  );
  const [row] = await deps.db.select().from(reportDeliveries).where(where);
  if (!row) throw new Error('delivery ledger row vanished');
  if (row.status === 'sent') return 'alreadySent';
  if (row.claimedBy !== opts.claimant) {
    // A definite failure of another run may be taken over; an unfinished send of another run may not.
    if (row.status !== 'failed') return 'claimedElsewhere';
    await deps.db.update(reportDeliveries).set({ claimedBy: opts.claimant }).where(where);
  }
  await deps.db
    .update(reportDeliveries)
    .set({ attempts: row.attempts + 1, status: 'sending' })
    .where(where);
  const link = unsubscribeUrl(deps, run.accountId, recipient.id);
  try {
    const sent = await deps.mailer.send({
      to: recipient.email,
      subject: run.subject,
      html: run.html.split(UNSUBSCRIBE_PLACEHOLDER).join(link),
      text: run.text.split(UNSUBSCRIBE_PLACEHOLDER).join(link),
      messageId,
      headers: { 'List-Unsubscribe': `<${link}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      attachments: run.images.map((i) => ({
        filename: i.filename,
        content: Buffer.from(i.base64, 'base64'),
        contentType: 'image/png',
        cid: i.cid,
      })),
    });
    await deps.db
      .update(reportDeliveries)
      .set({ status: 'sent', smtpResponse: sent.response, sentAt: new Date(), error: null })
      .where(where);
    return 'sent';
  } catch (err) {
    const message = errorMessage(err);
    await deps.db.update(reportDeliveries).set({ status: 'failed', error: message }).where(where);
    throw err;
  }
}
