import { z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  ingestFindingBatch,
  type FindingInputs,
  type FindingKind,
} from '../../services/inventory/ingest-finding-batch.js';
import { setFindingStatus, type StatusFindingKind } from '../../services/inventory/set-finding-status.js';
import type { Executor } from '../../db/client.js';
import {
  ALERT_STATUSES,
  SEVERITIES,
  VULNERABILITY_SOURCES,
  VULNERABILITY_STATUSES,
  VULNERABILITY_TYPES,
} from '../../domain/findings.js';
import {
  MAX_FINDINGS_PER_INGEST,
  ZAlertInputSchema,
  ZAttackInputSchema,
  ZBaselineRiskInputSchema,
  ZVulnerabilityInputSchema,
} from '../../domain/findings-input.js';
import {
  listAlerts,
  listAttacks,
  listBaselineRisks,
  listVulnerabilities,
  type FindingPage,
} from '../../services/inventory/finding-views.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { decodeCursor, page, pageOf, ZPageQuerySchema } from '../pagination.js';
import { deriveOperationId } from '../operation-id.js';
import { compiledJsonBody, defineRoute, json, jsonBody, ZIdParamSchema } from '../router.js';

const ZIngestResultSchema = z.object({ created: z.number().int(), updated: z.number().int() });

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * `d.toISOString()`, in half its time for the dates of years 1970–9999 (a page of findings formats hundreds): the
 * civil date from the day number (H. Hinnant's days-to-civil), in integer arithmetic; any other date (or an invalid
 * one, which throws) goes to `toISOString` itself.
 */
export function isoTime(d: Date): string {
  const t = d.getTime();
  if (!(t >= 0 && t < 253_402_300_800_000)) return d.toISOString();
  const ms = t % 1000;
  let rest = (t - ms) / 1000;
  const sec = rest % 60;
  rest = (rest - sec) / 60;
  const min = rest % 60;
  rest = (rest - min) / 60;
  const hour = rest % 24;
  const days = (rest - hour) / 24 + 719_468; // days since 0000-03-01
  const era = Math.floor(days / 146_097);
  const doe = days - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const y = year < 1000 ? String(year).padStart(4, '0') : `${year}`;
  return `${y}-${pad2(month)}-${pad2(day)}T${pad2(hour)}:${pad2(min)}:${pad2(sec)}.${pad3(ms)}Z`;
}

/**
 * Dates become ISO strings on the way out; everything else is already the API's shape. The account id is left out
 * as the object is built (a `delete` afterwards turned every response object into a slow dictionary), and no array
 * of entries is made per row.
 */
export function toDto<T extends Record<string, unknown>>(row: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in row) {
    if (k === 'accountId') continue;
    const v = row[k];
    out[k] = v instanceof Date ? isoTime(v) : v;
  }
  return out;
}

interface FindingResource<K extends FindingKind, TQuery extends z.ZodObject> {
  path: string;
  /** The kind of finding: services/inventory/ingest-finding-batch.ts and set-finding-status.ts take it. */
  noun: K;
  inputSchema: z.ZodType<FindingInputs[K]>;
  outputSchema: z.ZodObject;
  querySchema: TQuery;
  /** The account's page of these findings with the query's filters (services/inventory/finding-views.ts). */
  list: (db: Executor, p: FindingPage<z.infer<TQuery>>) => Promise<{ id: string }[]>;
  statusPatch?: { values: readonly [string, ...string[]] };
}

function registerFindingResource<K extends FindingKind, TQuery extends z.ZodObject>(
  app: OpenAPIHono<AppEnv>,
  r: FindingResource<K, TQuery>,
): void {
  const tag = 'findings';
  app.openapi(
    defineRoute({
      method: 'post',
      path: r.path,
      // A batch of findings from a scanner: `ingestVulnerabilities`, not `createVulnerability`.
      operationId: deriveOperationId('get', r.path).replace(/^list/, 'ingest'),
      tags: [tag],
      summary: `Ingest up to ${MAX_FINDINGS_PER_INGEST} ${r.noun} (idempotent by natural key)`,
      request: {
        body: compiledJsonBody(
          z.strictObject({ items: z.array(r.inputSchema).min(1).max(MAX_FINDINGS_PER_INGEST) }),
        ),
      },
      responses: { 200: json(ZIngestResultSchema) },
    }),
    async (c) => {
      const { db } = c.get('services');
      const actor = auditActor(c);
      const items = (c.req.valid('json') as { items: FindingInputs[K][] }).items;
      const result = await ingestFindingBatch(db, actor, { kind: r.noun, items });
      return c.json(result, 200);
    },
  );

  app.openapi(
    defineRoute({
      method: 'get',
      path: r.path,
      tags: [tag],
      summary: `List ${r.noun}`,
      request: { query: r.querySchema },
      responses: { 200: json(pageOf(r.outputSchema)) },
    }),
    async (c) => {
      const { db } = c.get('services');
      const q = c.req.valid('query' as never) as z.infer<TQuery> & { limit: number; cursor?: string };
      const rows = await r.list(db, {
        accountId: c.get('caller').accountId,
        after: decodeCursor(q.cursor),
        limit: q.limit,
        filter: q,
      });
      const p = page(rows, q.limit);
      return c.json({ items: p.items.map(toDto), nextCursor: p.nextCursor }, 200);
    },
  );

  const patch = r.statusPatch;
  if (patch) {
    app.openapi(
      defineRoute({
        method: 'patch',
        path: `${r.path}/{id}`,
        tags: [tag],
        summary: `Change the status of one of the ${r.noun}`,
        request: { params: ZIdParamSchema, body: jsonBody(z.strictObject({ status: z.enum(patch.values) })) },
        responses: { 200: json(r.outputSchema) },
      }),
      async (c) => {
        const { db } = c.get('services');
        const actor = auditActor(c);
        const { id } = c.req.valid('param');
        const { status } = c.req.valid('json') as { status: string };
        const updated = await setFindingStatus(db, actor, { kind: r.noun as StatusFindingKind, id, status });
        return c.json(toDto(updated), 200);
      },
    );
  }
}

const date = z.iso.datetime();
const nullableDate = date.nullable();

export const ZVulnerabilitySchema = z
  .object({
    id: z.uuid(),
    assetId: z.uuid(),
    type: z.enum(VULNERABILITY_TYPES),
    name: z.string(),
    title: z.string(),
    cveIds: z.array(z.string()),
    severity: z.enum(SEVERITIES),
    fixable: z.boolean(),
    packageName: z.string().nullable(),
    installedVersion: z.string().nullable(),
    fixedVersion: z.string().nullable(),
    kbId: z.string().nullable(),
    cmsComponent: z.string().nullable(),
    advisory: z.string().nullable(),
    source: z.enum(VULNERABILITY_SOURCES).openapi({
      description: 'api: posted by a scanner; agent: reported by the asset’s agent from its package manager',
    }),
    fixedOutsideVigil: z.boolean().openapi({
      description: 'Closed because a scan no longer found it, without a Vigil task fixing it',
    }),
    status: z.enum(VULNERABILITY_STATUSES),
    firstSeenAt: date,
    lastSeenAt: date,
    latestScanAt: date,
    fixedAt: nullableDate,
    createdAt: date,
    updatedAt: date,
  })
  .openapi('Vulnerability');

export const ZVulnerabilityQuerySchema = ZPageQuerySchema.extend({
  assetId: z.uuid().optional(),
  type: z.enum(VULNERABILITY_TYPES).optional(),
  status: z.enum(VULNERABILITY_STATUSES).optional(),
  severity: z.enum(SEVERITIES).optional(),
  fixable: z.enum(['true', 'false']).optional(),
});

export const ZAlertSchema = z
  .object({
    id: z.uuid(),
    assetId: z.uuid().nullable(),
    externalId: z.string(),
    name: z.string(),
    type: z.string(),
    severity: z.enum(SEVERITIES),
    status: z.enum(ALERT_STATUSES),
    occurredAt: date,
    handledAt: nullableDate,
    createdAt: date,
    updatedAt: date,
  })
  .openapi('Alert');

export const ZAlertQuerySchema = ZPageQuerySchema.extend({
  assetId: z.uuid().optional(),
  status: z.enum(ALERT_STATUSES).optional(),
  severity: z.enum(SEVERITIES).optional(),
});

export const ZBaselineRiskSchema = z
  .object({
    id: z.uuid(),
    assetId: z.uuid(),
    checkName: z.string(),
    category: z.string(),
    severity: z.enum(SEVERITIES),
    status: z.enum(ALERT_STATUSES),
    firstSeenAt: date,
    lastSeenAt: date,
    createdAt: date,
    updatedAt: date,
  })
  .openapi('BaselineRisk');

export const ZBaselineRiskQuerySchema = ZPageQuerySchema.extend({
  assetId: z.uuid().optional(),
  status: z.enum(ALERT_STATUSES).optional(),
  severity: z.enum(SEVERITIES).optional(),
});

export const ZAttackEventSchema = z
  .object({
    id: z.uuid(),
    assetId: z.uuid().nullable(),
    externalId: z.string(),
    attackType: z.string(),
    sourceIp: z.string().nullable(),
    severity: z.enum(SEVERITIES),
    blocked: z.boolean(),
    occurredAt: date,
    createdAt: date,
  })
  .openapi('AttackEvent');

export const ZAttackQuerySchema = ZPageQuerySchema.extend({
  assetId: z.uuid().optional(),
  severity: z.enum(SEVERITIES).optional(),
  attackType: z.string().max(100).optional(),
});

export function registerFindingRoutes(app: OpenAPIHono<AppEnv>): void {
  registerFindingResource(app, {
    path: '/v1/vulnerabilities',
    noun: 'vulnerabilities',
    inputSchema: ZVulnerabilityInputSchema,
    list: listVulnerabilities,
    outputSchema: ZVulnerabilitySchema,
    querySchema: ZVulnerabilityQuerySchema,
    statusPatch: {
      values: ['open', 'ignored'],
    },
  });

  registerFindingResource(app, {
    path: '/v1/alerts',
    noun: 'alerts',
    inputSchema: ZAlertInputSchema,
    list: listAlerts,
    outputSchema: ZAlertSchema,
    querySchema: ZAlertQuerySchema,
    statusPatch: { values: ALERT_STATUSES },
  });

  registerFindingResource(app, {
    path: '/v1/baseline-risks',
    noun: 'baseline-risks',
    inputSchema: ZBaselineRiskInputSchema,
    list: listBaselineRisks,
    outputSchema: ZBaselineRiskSchema,
    querySchema: ZBaselineRiskQuerySchema,
    statusPatch: { values: ALERT_STATUSES },
  });

  registerFindingResource(app, {
    path: '/v1/attacks',
    noun: 'attacks',
    inputSchema: ZAttackInputSchema,
    list: listAttacks,
    outputSchema: ZAttackEventSchema,
    querySchema: ZAttackQuerySchema,
  });
}
