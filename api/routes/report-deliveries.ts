import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { REPORT_ITEMS } from '../../domain/reports/rules.js';
import { deliveryHtml, deliveryItemCsv, exportReportHtml } from '../../services/reports/report-exports.js';
import { getReport, listDeliveries } from '../../services/reports/report-views.js';
import { sendReportNow } from '../../services/reports/send-report-now.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { decodeCursor, page } from '../pagination.js';
import { resourceRoutes } from '../route-shapes.js';
import { defineRoute, ZIdParamSchema } from '../router.js';
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

const ZSendStartedSchema = z.object({ workflowId: z.string(), runId: z.string() });

export type TReportDelivery = z.infer<typeof ZDeliverySchema>;
export type TReportSendStarted = z.infer<typeof ZSendStartedSchema>;

const reports = resourceRoutes('/v1/reports', tags, ZDeliverySchema);
const sendRoute = reports.action('send', 'Send Now: deliver a Custom report immediately (other types: 422)', {
  status: 202,
  schema: ZSendStartedSchema,
  description: 'Started',
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
const deliveriesRoute = reports.childPage(
  'deliveries',
  'Deliveries of a report, newest first: one per (period, recipient) with the SMTP response',
  ZDeliverySchema,
);
const deliveryHtmlRoute = defineRoute({
  method: 'get',
  path: '/v1/reports/{id}/deliveries/{deliveryId}/html',
  tags,
  summary: 'The HTML a delivery sent (charts inlined)',
  request: { params: ZIdParamSchema.extend({ deliveryId: z.uuid() }) },
  responses: { 200: { description: 'HTML', content: { 'text/html': { schema: z.string() } } } },
});

const deliveryCsvRoute = defineRoute({
  method: 'get',
  path: '/v1/reports/{id}/deliveries/{deliveryId}/csv/{item}',
  tags,
  summary: 'One item of a delivered report as CSV (the statistics the mail was rendered from)',
  request: { params: ZIdParamSchema.extend({ deliveryId: z.uuid(), item: z.enum(REPORT_ITEMS) }) },
  responses: { 200: { description: 'CSV file', content: { 'text/csv': { schema: z.string() } } } },
});

export function registerReportDeliveryRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(sendRoute, async (c) => {
    const services = c.get('services');
    const actor = auditActor(c);
    const started = await sendReportNow(services, actor, {
      id: c.req.valid('param').id,
      admit: (emails) => mailThrottleFor(services).take(actor.accountId, emails),
    });
    return c.json(started, 202);
  });

  app.openapi(exportRoute, async (c) => {
    const file = await exportReportHtml(c.get('services'), {
      accountId: c.get('caller').accountId,
      id: c.req.valid('param').id,
    });
    return c.body(file.html, 200, {
      'content-type': 'text/html; charset=utf-8',
      'content-disposition': `attachment; filename="${file.fileName}"`,
    });
  });

  app.openapi(deliveriesRoute, async (c) => {
    const services = c.get('services');
    const report = await getReport(services.db, c.get('caller').accountId, c.req.valid('param').id);
    const q = c.req.valid('query');
    const before = decodeCursor(q.cursor);
    const rows = await listDeliveries(services.db, report, { before, limit: q.limit });
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
    const { id, deliveryId } = c.req.valid('param');
    const html = await deliveryHtml(c.get('services'), {
      accountId: c.get('caller').accountId,
      id,
      deliveryId,
    });
    return c.body(html, 200, { 'content-type': 'text/html; charset=utf-8' });
  });

  app.openapi(deliveryCsvRoute, async (c) => {
    const { id, deliveryId, item } = c.req.valid('param');
    const file = await deliveryItemCsv(c.get('services').db, {
      accountId: c.get('caller').accountId,
      id,
      deliveryId,
      item,
    });
    return c.body(file.csv, 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${file.fileName}"`,
    });
  });
}
