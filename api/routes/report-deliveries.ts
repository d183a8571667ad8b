import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, desc, eq, lt } from 'drizzle-orm';
import { verifiedRecipients } from '../../activities/reports/delivery.js';
import { inlineImages, renderReport, UNSUBSCRIBE_PLACEHOLDER } from '../../activities/reports/render.js';
import { gatherReportStats } from '../../activities/reports/stats.js';
import { reportDeliveries, reportRuns } from '../../db/schema/reports.js';
import { uuidv7 } from '../../domain/ids.js';
import { reportPeriod } from '../../domain/reports/period.js';
import type { TReportItem } from '../../domain/reports/rules.js';
import { recordAudit } from '../../db/audit.js';
import type { TReportDeliveryInput } from '../../workflows/reports.js';
import { VigilAccountId, VigilReportId } from '../../workflows/search-attributes.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv, Services } from '../context.js';
import { ApiError, notFound, unprocessable } from '../errors.js';
import { decodeCursor, page, pageOf, ZPageQuerySchema } from '../pagination.js';
import { defineRoute, json, ZIdParamSchema } from '../router.js';
import { loadReport } from './reports.js';
import type { ReportRow } from '../../activities/reports/schedules.js';
import { mailThrottleFor } from '../mail-throttle.js';

const tags = ['reports'];

const ZDeliverySchema = z
  .object({
    id: z.uuid(),
    runId: z.uuid(),
    periodKey: z.string(),
    email: z.string(),
    status: z.enum(['sending', 'sent', 'failed']),
    attempts: z.number().int(),
    messageId: z.string(),
    smtpResponse: z.string().nullable(),
    error: z.string().nullable(),
    sentAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
  })
  .openapi('ReportDelivery');

const sendRoute = defineRoute({
  method: 'post',
  path: '/v1/reports/{id}/send',
  tags,
  summary: 'Send Now: deliver a Custom report immediately (other types: 422)',
  request: { params: ZIdParamSchema },
  responses: { 202: json(z.object({ workflowId: z.string(), runId: z.string() }), 'Started') },
});
const exportRoute = defineRoute({
  method: 'get',
  path: '/v1/reports/{id}/export',
  tags,
  summary:
    'Download the report as one HTML file (the last delivered period, else rendered now); charts inlined',
  request: { params: ZIdParamSchema },
  responses: { 200: { description: 'HTML file', content: { 'text/html': { schema: z.string() } } } },
});
const deliveriesRoute = defineRoute({
  method: 'get',
  path: '/v1/reports/{id}/deliveries',
  tags,
  summary: 'Deliveries of a report, newest first: one per (period, recipient) with the SMTP response',
  request: { params: ZIdParamSchema, query: ZPageQuerySchema },
  responses: { 200: json(pageOf(ZDeliverySchema)) },
});
const deliveryHtmlRoute = defineRoute({
  method: 'get',
  path: '/v1/reports/{id}/deliveries/{deliveryId}/html',
  tags,
  summary: 'The HTML a delivery sent (charts inlined)',
  request: { params: ZIdParamSchema.extend({ deliveryId: z.uuid() }) },
  responses: { 200: { description: 'HTML', content: { 'text/html': { schema: z.string() } } } },
});

/** Where the unsubscribe link of a mail points in a downloaded copy: the recipient list of the account. */
export const exportUnsubscribeTarget = (publicUrl: string) => `${publicUrl}/v1/email-recipients`;

type RunImages = { cid: string; base64: string }[];

/** The mailed HTML as a standalone file. */
export function exportHtml(
  services: Pick<Services, 'publicUrl'>,
  run: { html: string; images: RunImages },
): string {
  return inlineImages(run.html, run.images)
    .split(UNSUBSCRIBE_PLACEHOLDER)
    .join(exportUnsubscribeTarget(services.publicUrl));
}

/** A report never delivered yet is rendered for its current period, the same way a delivery would be. */
async function renderNow(services: Services, report: ReportRow): Promise<{ html: string; label: string }> {
  const period = reportPeriod({
    type: report.type,
    timeZone: report.timeZone,
    scheduledAt: new Date(),
    customPeriod:
      report.periodStart && report.periodEnd ? { start: report.periodStart, end: report.periodEnd } : null,
  });
  const stats = await gatherReportStats(services.db, {
    accountId: report.accountId,
    period,
    items: report.items as TReportItem[],
  });
  const r = await renderReport({
    name: report.name,
    type: report.type,
    language: report.language,
    stats,
    generatedAt: new Date(),
  });
  const images = r.images.map((i) => ({ cid: i.cid, base64: i.content.toString('base64') }));
  return { html: exportHtml(services, { html: r.html, images }), label: period.label };
}

const fileName = (name: string, label: string) =>
  `vigil-report-${
    `${name}-${label}`
      .replace(/[^A-Za-z0-9-]+/g, '-')
      .replace(/-+/g, '-')
      .replace(/^-|-$/g, '') || 'report'
  }.html`;

export function registerReportDeliveryRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(sendRoute, async (c) => {
    const services = c.get('services');
    const report = await loadReport(c, c.req.valid('param').id);
    if (report.type !== 'custom') {
      throw unprocessable(
        'Send Now works only for Custom reports; Daily, Weekly and Monthly reports follow their schedule',
      );
    }
    const verified = await verifiedRecipients(services, report.accountId, report.recipients);
    if (verified.length === 0) {
      throw unprocessable('the report has no verified recipient; nothing would be sent');
    }
    mailThrottleFor(services).take(
      report.accountId,
      verified.map((r) => r.email),
    );
    const sendId = uuidv7();
    const workflowId = `report:${report.id}:now-${sendId}`;
    const input: TReportDeliveryInput = {
      accountId: report.accountId,
      reportId: report.id,
      trigger: 'sendNow',
      sendId,
      requestedAt: new Date().toISOString(),
    };
    await recordAudit(services.db, {
      ...auditActor(c),
      action: 'report.send',
      targetType: 'report',
      targetId: report.id,
      after: { workflowId },
    });
    const handle = await services.temporal.workflow
      .start('reportDeliveryWorkflow', {
        workflowId,
        taskQueue: services.taskQueues.reports,
        args: [input],
        staticSummary: `Send Now: custom security report "${report.name}"`.slice(0, 200),
        staticDetails: `Report \`${report.id}\`: GET /v1/reports/${report.id}/deliveries`,
        typedSearchAttributes: [
          { key: VigilAccountId, value: report.accountId },
          { key: VigilReportId, value: report.id },
        ],
      })
      .catch((err: unknown) => {
        c.get('logger').error({ err, reportId: report.id }, 'could not start the report delivery');
        throw new ApiError('unavailable', 'Temporal is not reachable; the report was not sent, try again');
      });
    return c.json({ workflowId, runId: handle.firstExecutionRunId }, 202);
  });

  app.openapi(exportRoute, async (c) => {
    const services = c.get('services');
    const report = await loadReport(c, c.req.valid('param').id);
    const [run] = await services.db
      .select()
      .from(reportRuns)
      .where(and(eq(reportRuns.reportId, report.id), eq(reportRuns.accountId, report.accountId)))
      .orderBy(desc(reportRuns.id))
      .limit(1);
    const file = run
      ? { html: exportHtml(services, run), label: run.period.label }
      : await renderNow(services, report);
    return c.body(file.html, 200, {
      'content-type': 'text/html; charset=utf-8',
      'content-disposition': `attachment; filename="${fileName(report.name, file.label)}"`,
    });
  });

  app.openapi(deliveriesRoute, async (c) => {
    const services = c.get('services');
    const report = await loadReport(c, c.req.valid('param').id);
    const q = c.req.valid('query');
    const before = decodeCursor(q.cursor);
    const rows = await services.db
      .select()
      .from(reportDeliveries)
      .where(
        and(
          eq(reportDeliveries.accountId, report.accountId),
          eq(reportDeliveries.reportId, report.id),
          before ? lt(reportDeliveries.id, before) : undefined,
        ),
      )
      .orderBy(desc(reportDeliveries.id))
      .limit(q.limit + 1);
    const p = page(rows, q.limit);
    return c.json(
      {
        items: p.items.map((d) => ({
          id: d.id,
          runId: d.runId,
          periodKey: d.periodKey,
          email: d.email,
          status: d.status,
          attempts: d.attempts,
          messageId: d.messageId,
          smtpResponse: d.smtpResponse,
          error: d.error,
          sentAt: d.sentAt?.toISOString() ?? null,
          createdAt: d.createdAt.toISOString(),
        })),
        nextCursor: p.nextCursor,
      },
      200,
    );
  });

  app.openapi(deliveryHtmlRoute, async (c) => {
    const services = c.get('services');
    const { id, deliveryId } = c.req.valid('param');
    const report = await loadReport(c, id);
    const [row] = await services.db
      .select({ html: reportRuns.html, images: reportRuns.images })
      .from(reportDeliveries)
      .innerJoin(reportRuns, eq(reportRuns.id, reportDeliveries.runId))
      .where(
        and(
          eq(reportDeliveries.id, deliveryId),
          eq(reportDeliveries.reportId, report.id),
          eq(reportDeliveries.accountId, report.accountId),
        ),
      );
    if (!row) throw notFound('delivery');
    return c.body(exportHtml(services, row), 200, { 'content-type': 'text/html; charset=utf-8' });
  });
}
