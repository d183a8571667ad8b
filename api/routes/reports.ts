import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { and, eq, gt, inArray } from 'drizzle-orm';
import {
  deleteReport,
  getReport,
  insertReport,
  ReportRuleError,
  setReportEnabled,
  updateReport,
} from '../../activities/reports/definitions.js';
import { reconcileReportSchedules } from '../../activities/reports/reconcile-schedules.js';
import { scheduleIdFor, wantsSchedule, type ReportRow } from '../../activities/reports/schedules.js';
import { emailRecipients, reports } from '../../db/schema/reports.js';
import { normalizeEmail, validateReportDraft, type TReportDraft } from '../../domain/reports/definition.js';
import {
  MAX_CUSTOM_REPORTS_PER_ACCOUNT,
  MIN_SEND_WINDOW_MINUTES,
  REPORT_ITEMS,
  REPORT_LANGUAGES,
  REPORT_TYPES,
} from '../../domain/reports/rules.js';
import { accounts } from '../../db/schema/accounts.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv, Services } from '../context.js';
import { notFound, unprocessable } from '../errors.js';
import { decodeCursor, page, pageOf, ZPageQuerySchema } from '../pagination.js';
import { defineRoute, json, jsonBody, ZIdParamSchema } from '../router.js';
import { displayName, instant } from '../../domain/input-rules.js';

const tags = ['reports'];

const ZClock = z.string().openapi({ example: '08:00', description: 'Local time HH:MM (24-hour clock)' });
const ZWindowSchema = z.strictObject({ start: ZClock, end: ZClock }).openapi({
  description: `Send window in the report's time zone; at least ${MIN_SEND_WINDOW_MINUTES / 60} hours (end before start runs past midnight)`,
});
const ZPeriodSchema = z.strictObject({ start: instant(), end: instant() });

export const ZReportSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    type: z.enum(REPORT_TYPES),
    isDefault: z.boolean(),
    enabled: z.boolean(),
    timeZone: z.string(),
    sendWindow: z.object({ start: z.string(), end: z.string() }),
    period: z.object({ start: z.iso.datetime(), end: z.iso.datetime() }).nullable(),
    language: z.enum(REPORT_LANGUAGES),
    items: z.array(z.enum(REPORT_ITEMS)),
    recipients: z.array(
      z.object({ email: z.string(), status: z.enum(['pending', 'verified', 'unsubscribed', 'removed']) }),
    ),
    scheduleId: z
      .string()
      .nullable()
      .openapi({ description: 'The Temporal Schedule of an enabled periodic report' }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Report');
type TReportDto = z.infer<typeof ZReportSchema>;

const ZReportFieldsSchema = z.strictObject({
  name: displayName(100),
  type: z.string().openapi({ enum: [...REPORT_TYPES] }),
  timeZone: z.string().max(64).optional().openapi({ description: "IANA zone; defaults to the account's" }),
  sendWindow: ZWindowSchema,
  period: ZPeriodSchema.nullable()
    .optional()
    .openapi({ description: 'Custom reports: data-collection period within the last 30 days' }),
  language: z.string().openapi({ enum: [...REPORT_LANGUAGES] }),
  items: z.array(z.string().openapi({ enum: [...REPORT_ITEMS] })).max(REPORT_ITEMS.length * 2),
  recipients: z.array(z.email().max(254)).max(200).default([]),
});
const ZCreateBodySchema = ZReportFieldsSchema.extend({ enabled: z.boolean().default(true) });
const ZPatchBodySchema = ZReportFieldsSchema.partial();

async function toDtos(services: Services, rows: ReportRow[]): Promise<TReportDto[]> {
  const addresses = [...new Set(rows.flatMap((r) => r.recipients))];
  const accountId = rows[0]?.accountId;
  const statuses =
    addresses.length === 0 || !accountId
      ? []
      : await services.db
          .select({ email: emailRecipients.email, status: emailRecipients.status })
          .from(emailRecipients)
          .where(and(eq(emailRecipients.accountId, accountId), inArray(emailRecipients.email, addresses)));
  const status = new Map(statuses.map((s) => [s.email, s.status]));
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    type: r.type,
    isDefault: r.isDefault,
    enabled: r.enabled,
    timeZone: r.timeZone,
    sendWindow: { start: r.sendWindowStart, end: r.sendWindowEnd },
    period:
      r.periodStart && r.periodEnd
        ? { start: r.periodStart.toISOString(), end: r.periodEnd.toISOString() }
        : null,
    language: r.language,
    items: r.items.filter((i): i is (typeof REPORT_ITEMS)[number] =>
      (REPORT_ITEMS as readonly string[]).includes(i),
    ),
    recipients: r.recipients.map((email) => ({ email, status: status.get(email) ?? 'removed' })),
    scheduleId: wantsSchedule(r) ? scheduleIdFor(r.id) : null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  }));
}

async function toDto(services: Services, row: ReportRow): Promise<TReportDto> {
  const [dto] = await toDtos(services, [row]);
  if (!dto) throw new Error('no DTO for a report row');
  return dto;
}

/** Product rules → 422 with every violation listed. */
async function withRules<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ReportRuleError) throw unprocessable(err.message, err.violations);
    throw err;
  }
}

function checkedDefinition(draft: TReportDraft) {
  const checked = validateReportDraft(draft, new Date());
  if (!checked.definition)
    throw unprocessable(checked.violations.map((v) => v.message).join('; '), checked.violations);
  return checked.definition;
}

type TFields = z.infer<typeof ZReportFieldsSchema>;
function draftOf(f: TFields, timeZone: string): TReportDraft {
  return {
    type: f.type,
    timeZone: f.timeZone ?? timeZone,
    sendWindowStart: f.sendWindow.start,
    sendWindowEnd: f.sendWindow.end,
    language: f.language,
    items: f.items,
    recipients: [...new Set(f.recipients.map(normalizeEmail))],
    period: f.period ? { start: new Date(f.period.start), end: new Date(f.period.end) } : null,
  };
}

function fieldsOf(r: ReportRow): TFields {
  return {
    name: r.name,
    type: r.type,
    timeZone: r.timeZone,
    sendWindow: { start: r.sendWindowStart, end: r.sendWindowEnd },
    period:
      r.periodStart && r.periodEnd
        ? { start: r.periodStart.toISOString(), end: r.periodEnd.toISOString() }
        : null,
    language: r.language,
    items: r.items,
    recipients: r.recipients,
  };
}

/**
 * Brings the report's Temporal Schedule in step right after the change is committed. If Temporal is unreachable the
 * change stands and the periodic reconciler repairs the schedule.
 */
export async function syncReportSchedule(c: Context<AppEnv>, reportId: string): Promise<void> {
  const services = c.get('services');
  const result = await reconcileReportSchedules(services, { reportIds: [reportId] });
  for (const f of result.failed) {
    c.get('logger').warn(
      { reportId: f.reportId, error: f.error },
      'report schedule not in step; the reconciler will repair it',
    );
  }
}

export async function loadReport(c: Context<AppEnv>, id: string): Promise<ReportRow> {
  const row = await getReport(c.get('services').db, c.get('caller').accountId, id);
  if (!row) throw notFound('report');
  return row;
}

const listRoute = defineRoute({
  method: 'get',
  path: '/v1/reports',
  tags,
  summary: 'List security reports (the default one plus up to 9 more)',
  request: { query: ZPageQuerySchema },
  responses: { 200: json(pageOf(ZReportSchema)) },
});
const createRoute = defineRoute({
  method: 'post',
  path: '/v1/reports',
  tags,
  summary: `Create a security report (at most ${MAX_CUSTOM_REPORTS_PER_ACCOUNT} besides the default)`,
  request: { body: jsonBody(ZCreateBodySchema) },
  responses: { 201: json(ZReportSchema, 'Created') },
});
const getRoute = defineRoute({
  method: 'get',
  path: '/v1/reports/{id}',
  tags,
  summary: 'One security report',
  request: { params: ZIdParamSchema },
  responses: { 200: json(ZReportSchema) },
});
const patchRoute = defineRoute({
  method: 'patch',
  path: '/v1/reports/{id}',
  tags,
  summary: 'Edit a security report (the default report stays Daily)',
  request: { params: ZIdParamSchema, body: jsonBody(ZPatchBodySchema) },
  responses: { 200: json(ZReportSchema) },
});
const deleteRoute = defineRoute({
  method: 'delete',
  path: '/v1/reports/{id}',
  tags,
  summary: 'Delete a security report (not the default one)',
  request: { params: ZIdParamSchema },
  responses: { 204: { description: 'Deleted' } },
});
const cloneRoute = defineRoute({
  method: 'post',
  path: '/v1/reports/{id}/clone',
  tags,
  summary: 'Clone a security report (counts against the limit)',
  request: { params: ZIdParamSchema },
  responses: { 201: json(ZReportSchema, 'Created') },
});
const enableRoute = defineRoute({
  method: 'post',
  path: '/v1/reports/{id}/enable',
  tags,
  summary: 'Start sending the report on its schedule',
  request: { params: ZIdParamSchema },
  responses: { 200: json(ZReportSchema) },
});
const disableRoute = defineRoute({
  method: 'post',
  path: '/v1/reports/{id}/disable',
  tags,
  summary: 'Stop sending the report (its schedule is removed)',
  request: { params: ZIdParamSchema },
  responses: { 200: json(ZReportSchema) },
});

export function registerReportRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listRoute, async (c) => {
    const services = c.get('services');
    const q = c.req.valid('query');
    const after = decodeCursor(q.cursor);
    const rows = await services.db
      .select()
      .from(reports)
      .where(and(eq(reports.accountId, c.get('caller').accountId), after ? gt(reports.id, after) : undefined))
      .orderBy(reports.id)
      .limit(q.limit + 1);
    const p = page(rows, q.limit);
    return c.json({ items: await toDtos(services, p.items), nextCursor: p.nextCursor }, 200);
  });

  app.openapi(createRoute, async (c) => {
    const services = c.get('services');
    const actor = auditActor(c);
    const body = c.req.valid('json');
    const [account] = await services.db
      .select({ timeZone: accounts.timeZone })
      .from(accounts)
      .where(eq(accounts.id, actor.accountId));
    const definition = checkedDefinition(draftOf(body, account?.timeZone ?? 'UTC'));
    const row = await withRules(() =>
      services.db.transaction((tx) =>
        insertReport(tx, actor, { name: body.name, enabled: body.enabled, definition }),
      ),
    );
    await syncReportSchedule(c, row.id);
    return c.json(await toDto(services, row), 201);
  });

  app.openapi(getRoute, async (c) => {
    const row = await loadReport(c, c.req.valid('param').id);
    return c.json(await toDto(c.get('services'), row), 200);
  });

  app.openapi(patchRoute, async (c) => {
    const services = c.get('services');
    const actor = auditActor(c);
    const before = await loadReport(c, c.req.valid('param').id);
    const patch = c.req.valid('json');
    const merged: TFields = { ...fieldsOf(before), ...patch };
    const definition = checkedDefinition(draftOf(merged, before.timeZone));
    const row = await withRules(() =>
      services.db.transaction((tx) => updateReport(tx, actor, before, { name: merged.name, definition })),
    );
    await syncReportSchedule(c, row.id);
    return c.json(await toDto(services, row), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const services = c.get('services');
    const before = await loadReport(c, c.req.valid('param').id);
    await withRules(() => services.db.transaction((tx) => deleteReport(tx, auditActor(c), before)));
    await syncReportSchedule(c, before.id);
    return c.body(null, 204);
  });

  app.openapi(cloneRoute, async (c) => {
    const services = c.get('services');
    const source = await loadReport(c, c.req.valid('param').id);
    const definition = checkedDefinition(draftOf(fieldsOf(source), source.timeZone));
    const name = `${source.name} (copy)`.slice(0, 100);
    const row = await withRules(() =>
      services.db.transaction((tx) =>
        insertReport(tx, auditActor(c), {
          name,
          enabled: source.enabled,
          definition,
          action: 'report.clone',
          clonedFrom: source.id,
        }),
      ),
    );
    await syncReportSchedule(c, row.id);
    return c.json(await toDto(services, row), 201);
  });

  for (const [route, enabled] of [
    [enableRoute, true],
    [disableRoute, false],
  ] as const) {
    app.openapi(route, async (c) => {
      const services = c.get('services');
      const before = await loadReport(c, c.req.valid('param').id);
      const row = await services.db.transaction((tx) => setReportEnabled(tx, auditActor(c), before, enabled));
      await syncReportSchedule(c, row.id);
      return c.json(await toDto(services, row), 200);
    });
  }
}
