import { createHash } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import type { Services } from '../../api/context.js';
import { emailRecipients, reportDeliveries, reportRuns, reports } from '../../db/schema/reports.js';
import type { TReportPeriod } from '../../domain/reports/period.js';
import type { TReportItem, TReportLanguage, TReportType } from '../../domain/reports/rules.js';
import { UNSUBSCRIBE_LINK_TTL_DAYS } from '../../domain/reports/rules.js';
import type { TReportStats } from '../../domain/reports/stats.js';
import { linkSigningKey, signLinkToken, UNSUBSCRIBE_PATH } from './recipient-links.js';
import { renderReport, UNSUBSCRIBE_PLACEHOLDER } from './render.js';
import { gatherReportStats } from './stats.js';
import { errorMessage } from '../../domain/errors.js';

export interface TReportPlan {
  name: string;
  type: TReportType;
  enabled: boolean;
  timeZone: string;
  language: TReportLanguage;
  items: TReportItem[];
  customPeriod: { start: string; end: string } | null;
}

export type TSendOutcome = 'sent' | 'alreadySent' | 'notVerified' | 'claimedElsewhere';

type Deps = Pick<Services, 'db' | 'mailer' | 'secrets' | 'publicUrl' | 'logger'>;

/** The one-click unsubscribe link of a recipient (RFC 8058), valid without logging in. */
export function unsubscribeUrl(
  deps: Pick<Services, 'secrets' | 'publicUrl'>,
  accountId: string,
  recipientId: string,
): string {
  const token = signLinkToken(linkSigningKey(deps.secrets), {
    purpose: 'unsubscribe',
    accountId,
    recipientId,
    expiresAt: new Date(Date.now() + UNSUBSCRIBE_LINK_TTL_DAYS * 86_400_000),
  });
  return `${deps.publicUrl}${UNSUBSCRIBE_PATH}?token=${token}`;
}

/** Verified recipients of a report (lower-cased addresses listed on it and verified in the account). */
export async function verifiedRecipients(deps: Pick<Services, 'db'>, accountId: string, addresses: string[]) {
  if (addresses.length === 0) return [];
  return deps.db
    .select({ id: emailRecipients.id, email: emailRecipients.email })
    .from(emailRecipients)
    .where(
      and(
        eq(emailRecipients.accountId, accountId),
        inArray(emailRecipients.email, addresses),
        eq(emailRecipients.status, 'verified'),
      ),
    )
    .orderBy(emailRecipients.id);
}

/** The report delivery activities; each can run twice without a second effect (DESIGN §3.3). */
export function createReportActivities(deps: Deps) {
  return {
    async loadReportPlan(opts: { accountId: string; reportId: string }): Promise<TReportPlan | null> {
      const [r] = await deps.db
        .select()
        .from(reports)
        .where(and(eq(reports.id, opts.reportId), eq(reports.accountId, opts.accountId)));
      if (!r) return null;
      return {
        name: r.name,
        type: r.type,
        enabled: r.enabled,
        timeZone: r.timeZone,
        language: r.language,
        items: r.items as TReportItem[],
        customPeriod:
          r.periodStart && r.periodEnd
            ? { start: r.periodStart.toISOString(), end: r.periodEnd.toISOString() }
            : null,
      };
    },

    async gatherReportStats(opts: {
      accountId: string;
      items: TReportItem[];
      period: TReportPeriod;
    }): Promise<TReportStats> {
      return gatherReportStats(deps.db, opts);
    },

    /**
     * Renders the report and stores it once per (report, period key): a retry or a duplicate trigger re-uses the
     * first rendering, so every recipient of a period gets the same mail. Returns the verified recipients now.
     */
    async renderReportRun(opts: {
      accountId: string;
      reportId: string;
      periodKey: string;
      trigger: 'schedule' | 'sendNow';
      workflowId: string;
      stats: TReportStats;
    }): Promise<{ runId: string; recipients: { id: string }[] }> {
      const [report] = await deps.db
        .select()
        .from(reports)
        .where(and(eq(reports.id, opts.reportId), eq(reports.accountId, opts.accountId)));
      if (!report) return { runId: '', recipients: [] };
      let [run] = await deps.db
        .select({ id: reportRuns.id })
        .from(reportRuns)
        .where(and(eq(reportRuns.reportId, opts.reportId), eq(reportRuns.periodKey, opts.periodKey)));
      if (!run) {
        const rendered = await renderReport({
          name: report.name,
          type: report.type,
          language: report.language,
          stats: opts.stats,
          generatedAt: new Date(),
        });
        await deps.db
          .insert(reportRuns)
          .values({
            accountId: opts.accountId,
            reportId: opts.reportId,
            periodKey: opts.periodKey,
            period: opts.stats.period,
            trigger: opts.trigger,
            workflowId: opts.workflowId,
            subject: rendered.subject,
            html: rendered.html,
            text: rendered.text,
            images: rendered.images.map((i) => ({
              cid: i.cid,
              filename: i.filename,
              base64: i.content.toString('base64'),
            })),
            stats: opts.stats as unknown as Record<string, unknown>,
          })
          .onConflictDoNothing();
        [run] = await deps.db
          .select({ id: reportRuns.id })
          .from(reportRuns)
          .where(and(eq(reportRuns.reportId, opts.reportId), eq(reportRuns.periodKey, opts.periodKey)));
      }
      if (!run) throw new Error(`report run ${opts.reportId} ${opts.periodKey} was not stored`);
      const recipients = await verifiedRecipients(deps, opts.accountId, report.recipients);
      return { runId: run.id, recipients: recipients.map((r) => ({ id: r.id })) };
    },

    /**
     * One mail to one recipient for one run, behind the ledger row (report, period, recipient): claimed before the
     * SMTP send; a row already sent, or claimed by another workflow run (a duplicate trigger), sends nothing. Only
     * the claiming run retries its own unfinished send, with the same Message-ID so receivers can drop a double.
     */
    async sendReportMail(opts: {
      runId: string;
      recipientId: string;
      claimant: string;
    }): Promise<TSendOutcome> {
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
    },
  };
}

export type ReportActivities = ReturnType<typeof createReportActivities>;
