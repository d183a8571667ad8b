import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { accountTimeZone } from '../../services/accounts/account-views.js';
import { SEVERITIES } from '../../domain/findings.js';
import { normalizeEmail, type TReportDraft } from '../../domain/reports/definition.js';
import {
  MAX_CUSTOM_REPORTS_PER_ACCOUNT,
  MAX_MONTHLY_SEND_DAY,
  MIN_SEND_WINDOW_MINUTES,
  REPORT_ITEMS,
  REPORT_LANGUAGES,
  REPORT_TYPES,
} from '../../domain/reports/rules.js';
import { displayName, instant } from '../../domain/input-rules.js';
import type { Services } from '../../platform/services.js';
import { cloneReport } from '../../services/reports/clone-report.js';
import { createReport } from '../../services/reports/create-report.js';
import { deleteReport } from '../../services/reports/delete-report.js';
import { scheduleIdFor, wantsSchedule, type ReportRow } from '../../services/reports/report-schedules.js';
import { getReport, listReports, recipientStatuses } from '../../services/reports/report-views.js';
import { setReportEnabled } from '../../services/reports/set-report-enabled.js';
import { updateReport } from '../../services/reports/update-report.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { decodeCursor, page } from '../pagination.js';
import { resourceRoutes } from '../route-shapes.js';

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
    assetGroupId: z.uuid().nullable().openapi({ description: "Scope: only this asset group's assets" }),
    minSeverity: z
      .enum(SEVERITIES)
      .nullable()
      .openapi({ description: 'Scope: only findings this severe or worse' }),
    sendWeekday: z.number().int().nullable().openapi({ description: 'Weekly: 1 = Monday … 7 = Sunday' }),
    sendDayOfMonth: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Monthly: 1–31 (shorter months: last day)' }),
    consolidated: z.boolean().openapi({ description: 'One section per managed member of the directory' }),
    scheduledSendAt: z.iso.datetime().nullable().openapi({
      description: 'Custom: when its one send inside the Report Time went out (then only Send Now)',
    }),
    scheduleId: z
      .string()
      .nullable()
      .openapi({ description: 'The Temporal Schedule of an enabled report (Custom: until its one send)' }),
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
  recipients: z
    .array(z.email().max(254))
    .max(200)
    .default([])
    .openapi({ description: 'Verified addresses only (a pending one is refused with 422 naming it)' }),
  assetGroupId: z.uuid().nullable().optional(),
  minSeverity: z.enum(SEVERITIES).nullable().optional(),
  sendWeekday: z.number().int().min(1).max(7).nullable().optional(),
  sendDayOfMonth: z.number().int().min(1).max(MAX_MONTHLY_SEND_DAY).nullable().optional(),
  consolidated: z.boolean().optional().openapi({
    description: "A resource directory's management account only: one section per managed member",
  }),
});
const ZCreateBodySchema = ZReportFieldsSchema.extend({ enabled: z.boolean().default(true) });
// No default on a patch: a PATCH that leaves out `recipients` keeps them (a default [] would wipe them).
const ZPatchBodySchema = ZReportFieldsSchema.partial().extend({
  recipients: z.array(z.email().max(254)).max(200).optional(),
});

async function toDtos(services: Services, rows: ReportRow[]): Promise<TReportDto[]> {
  const status = await recipientStatuses(services.db, rows);
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
    assetGroupId: r.assetGroupId,
    minSeverity: r.minSeverity,
    sendWeekday: r.sendWeekday,
    sendDayOfMonth: r.sendDayOfMonth,
    consolidated: r.consolidated,
    scheduledSendAt: r.scheduledSendAt?.toISOString() ?? null,
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

type TFields = z.infer<typeof ZReportFieldsSchema>;
type TPatch = z.infer<typeof ZPatchBodySchema>;

/** The request body as a draft; every rule is checked by the service. */
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
    assetGroupId: f.assetGroupId ?? null,
    minSeverity: f.minSeverity ?? null,
    sendWeekday: f.sendWeekday ?? null,
    sendDayOfMonth: f.sendDayOfMonth ?? null,
    consolidated: f.consolidated ?? false,
  };
}

/** A patch over the stored draft: only the fields sent change (null clears a scope or send day). */
function patched(before: TReportDraft, p: TPatch): TReportDraft {
  const pick = <K extends keyof TReportDraft>(key: K, value: TReportDraft[K] | undefined): TReportDraft[K] =>
    value === undefined ? before[key] : value;
  return {
    type: pick('type', p.type),
    timeZone: pick('timeZone', p.timeZone),
    sendWindowStart: pick('sendWindowStart', p.sendWindow?.start),
    sendWindowEnd: pick('sendWindowEnd', p.sendWindow?.end),
    language: pick('language', p.language),
    items: pick('items', p.items),
    recipients:
      p.recipients === undefined ? before.recipients : [...new Set(p.recipients.map(normalizeEmail))],
    period:
      p.period === undefined
        ? before.period
        : p.period && { start: new Date(p.period.start), end: new Date(p.period.end) },
    assetGroupId: pick('assetGroupId', p.assetGroupId),
    minSeverity: pick('minSeverity', p.minSeverity),
    sendWeekday: pick('sendWeekday', p.sendWeekday),
    sendDayOfMonth: pick('sendDayOfMonth', p.sendDayOfMonth),
    consolidated: pick('consolidated', p.consolidated),
  };
}

const reports = resourceRoutes('/v1/reports', tags, ZReportSchema);
const listRoute = reports.list('List security reports (the default one plus up to 9 more)');
const createRoute = reports.create(
  `Create a security report (at most ${MAX_CUSTOM_REPORTS_PER_ACCOUNT} besides the default)`,
  ZCreateBodySchema,
);
const getRoute = reports.get('One security report');
const patchRoute = reports.patch('Edit a security report (the default report stays Daily)', ZPatchBodySchema);
const deleteRoute = reports.delete('Delete a security report (not the default one)');
const cloneRoute = reports.action('clone', 'Clone a security report (counts against the limit)', {
  status: 201,
  schema: ZReportSchema,
  description: 'Created',
});
const enableRoute = reports.action('enable', 'Start sending the report on its schedule');
const disableRoute = reports.action('disable', 'Stop sending the report (its schedule is removed)');

export function registerReportRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listRoute, async (c) => {
    const services = c.get('services');
    const q = c.req.valid('query');
    const rows = await listReports(services.db, {
      accountId: c.get('caller').accountId,
      after: decodeCursor(q.cursor),
      limit: q.limit,
    });
    const p = page(rows, q.limit);
    return c.json({ items: await toDtos(services, p.items), nextCursor: p.nextCursor }, 200);
  });

  app.openapi(createRoute, async (c) => {
    const services = c.get('services');
    const actor = auditActor(c);
    const body = c.req.valid('json');
    const timeZone = await accountTimeZone(services.db, actor.accountId);
    const row = await createReport(services, actor, {
      name: body.name,
      enabled: body.enabled,
      draft: draftOf(body, timeZone),
    });
    return c.json(await toDto(services, row), 201);
  });

  app.openapi(getRoute, async (c) => {
    const services = c.get('services');
    const row = await getReport(services.db, c.get('caller').accountId, c.req.valid('param').id);
    return c.json(await toDto(services, row), 200);
  });

  app.openapi(patchRoute, async (c) => {
    const services = c.get('services');
    const body = c.req.valid('json');
    const row = await updateReport(services, auditActor(c), {
      id: c.req.valid('param').id,
      name: body.name,
      patch: (before) => patched(before, body),
    });
    return c.json(await toDto(services, row), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    await deleteReport(c.get('services'), auditActor(c), { id: c.req.valid('param').id });
    return c.body(null, 204);
  });

  app.openapi(cloneRoute, async (c) => {
    const services = c.get('services');
    const row = await cloneReport(services, auditActor(c), { id: c.req.valid('param').id });
    return c.json(await toDto(services, row), 201);
  });

  for (const [route, enabled] of [
    [enableRoute, true],
    [disableRoute, false],
  ] as const) {
    app.openapi(route, async (c) => {
      const services = c.get('services');
      const row = await setReportEnabled(services, auditActor(c), { id: c.req.valid('param').id, enabled });
      return c.json(await toDto(services, row), 200);
    });
  }
}
