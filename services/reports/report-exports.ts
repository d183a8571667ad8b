import { and, desc, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { reportDeliveries, reportRuns } from '../../db/schema/reports.js';
import { notFound, unprocessable } from '../../domain/errors.js';
import { reportItemCsv } from '../../domain/reports/csv.js';
import { reportPeriod } from '../../domain/reports/period.js';
import type { TReportItem } from '../../domain/reports/rules.js';
import type { TReportStats } from '../../domain/reports/stats.js';
import type { Services } from '../../platform/services.js';
import { gatherConsolidatedStats } from './gather-consolidated-stats.js';
import { gatherReportStats } from './gather-report-stats.js';
import { inlineImages, renderReport, UNSUBSCRIBE_PLACEHOLDER } from './render-report.js';
import type { ReportRow } from './report-schedules.js';
import { getReport } from './report-views.js';

/** Where the unsubscribe link of a mail points in a downloaded copy: the recipient list of the account. */
export const exportUnsubscribeTarget = (publicUrl: string) => `${publicUrl}/v1/email-recipients`;

/** The mailed HTML as a standalone file (charts inlined as data: URIs). */
export function exportHtml(
  publicUrl: string,
  run: { html: string; images: { cid: string; base64: string }[] },
) {
  return inlineImages(run.html, run.images)
    .split(UNSUBSCRIBE_PLACEHOLDER)
    .join(exportUnsubscribeTarget(publicUrl));
}

/** The statistics of a report for its current period, gathered the way a delivery would. */
export async function statsNow(db: Executor, report: ReportRow): Promise<TReportStats> {
  const period = reportPeriod({
    type: report.type,
    timeZone: report.timeZone,
    scheduledAt: new Date(),
    customPeriod:
      report.periodStart && report.periodEnd ? { start: report.periodStart, end: report.periodEnd } : null,
  });
  const opts = {
    accountId: report.accountId,
    period,
    items: report.items as TReportItem[],
    assetGroupId: report.assetGroupId,
    minSeverity: report.minSeverity,
  };
  return report.consolidated ? gatherConsolidatedStats(db, opts) : gatherReportStats(db, opts);
}

const fileName = (name: string, label: string, ext: string) =>
  `vigil-report-${
    `${name}-${label}`
      .replace(/[^A-Za-z0-9-]+/g, '-')
      .replace(/-+/g, '-')
      .replace(/^-|-$/g, '') || 'report'
  }.${ext}`;

/** Export: the last delivered period's HTML, else the report rendered now for its current period. */
export async function exportReportHtml(
  services: Pick<Services, 'db' | 'publicUrl'>,
  opts: { accountId: string; id: string },
): Promise<{ html: string; fileName: string }> {
  const report = await getReport(services.db, opts.accountId, opts.id);
  const [run] = await services.db
    .select()
    .from(reportRuns)
    .where(and(eq(reportRuns.reportId, report.id), eq(reportRuns.accountId, report.accountId)))
    .orderBy(desc(reportRuns.id))
    .limit(1);
  if (run) {
    return {
      html: exportHtml(services.publicUrl, run),
      fileName: fileName(report.name, run.period.label, 'html'),
    };
  }
  const stats = await statsNow(services.db, report);
  const r = await renderReport({
    name: report.name,
    type: report.type,
    language: report.language,
    stats,
    generatedAt: new Date(),
  });
  const images = r.images.map((i) => ({ cid: i.cid, base64: i.content.toString('base64') }));
  return {
    html: exportHtml(services.publicUrl, { html: r.html, images }),
    fileName: fileName(report.name, stats.period.label, 'html'),
  };
}

async function deliveredRun(db: Executor, opts: { accountId: string; id: string; deliveryId: string }) {
  const report = await getReport(db, opts.accountId, opts.id);
  const [row] = await db
    .select({
      html: reportRuns.html,
      images: reportRuns.images,
      stats: reportRuns.stats,
      period: reportRuns.period,
    })
    .from(reportDeliveries)
    .innerJoin(reportRuns, eq(reportRuns.id, reportDeliveries.runId))
    .where(
      and(
        eq(reportDeliveries.id, opts.deliveryId),
        eq(reportDeliveries.reportId, report.id),
        eq(reportDeliveries.accountId, report.accountId),
      ),
    );
  if (!row) throw notFound('delivery');
  return { report, run: row };
}

/** The HTML a delivery sent. */
export async function deliveryHtml(
  services: Pick<Services, 'db' | 'publicUrl'>,
  opts: { accountId: string; id: string; deliveryId: string },
): Promise<string> {
  const { run } = await deliveredRun(services.db, opts);
  return exportHtml(services.publicUrl, run);
}

/**
 * One item of a delivery as CSV, from the statistics that mail was rendered from. An item the report does not
 * include is a 422 naming the ones it does.
 */
export async function deliveryItemCsv(
  db: Executor,
  opts: { accountId: string; id: string; deliveryId: string; item: TReportItem },
): Promise<{ csv: string; fileName: string }> {
  const { report, run } = await deliveredRun(db, opts);
  const stats = run.stats as unknown as TReportStats;
  if (!stats.items.includes(opts.item)) {
    throw unprocessable(`the report does not include ${opts.item}; it includes ${stats.items.join(', ')}`);
  }
  return {
    csv: reportItemCsv(stats, opts.item),
    fileName: fileName(`${report.name}-${opts.item}`, run.period.label, 'csv'),
  };
}
