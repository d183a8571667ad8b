import { and, eq } from 'drizzle-orm';
import { reportRuns, reports } from '../../db/schema/reports.js';
import type { TReportStats } from '../../domain/reports/stats.js';
import type { Services } from '../../platform/services.js';
import { verifiedRecipients } from './recipient-views.js';
import { renderReport } from './render-report.js';

/**
 * Renders the report and stores it once per (report, period key): a retry or a duplicate trigger re-uses the
 * first rendering, so every recipient of a period gets the same mail. Returns the verified recipients now.
 */
export async function renderReportRun(
  deps: Pick<Services, 'db'>,
  opts: {
    accountId: string;
    reportId: string;
    periodKey: string;
    trigger: 'schedule' | 'sendNow';
    workflowId: string;
    stats: TReportStats;
  },
): Promise<{ runId: string; recipients: { id: string }[] }> {
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
  const recipients = await verifiedRecipients(deps.db, opts.accountId, report.recipients);
  return { runId: run.id, recipients: recipients.map((r) => ({ id: r.id })) };
}
