import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { listAssets } from '../../services/inventory/asset-views.js';
import type { Executor } from '../../db/client.js';
import { SEVERITIES } from '../../domain/findings.js';
import { SCORE_CATEGORIES } from '../../domain/multi-account/security-score.js';
import {
  listAlerts,
  listBaselineRisks,
  listVulnerabilities,
  type FindingPage,
} from '../../services/inventory/finding-views.js';
import { COSTLIEST_FINDINGS, memberScoreExplained } from '../../services/multi-account/score-views.js';
import type { AppEnv } from '../context.js';
import { callerMember } from '../multi-account-access.js';
import { decodeCursor, decodeRankedCursor, page, pageOf } from '../pagination.js';
import { defineRoute, json, ZIdParamSchema } from '../router.js';
import { toAssetDto, ZAssetQuerySchema, ZAssetSchema } from './assets.js';
import {
  toDto,
  ZAlertQuerySchema,
  ZAlertSchema,
  ZBaselineRiskQuerySchema,
  ZBaselineRiskSchema,
  ZVulnerabilityQuerySchema,
  ZVulnerabilitySchema,
} from './findings.js';

/**
 * Cross-account views (issue 16 item 4): the management account and delegated administrators read a managed
 * member's alerts, vulnerabilities, baseline risks and assets with the filters and pagination of the member's own
 * lists (the same query code), and its score explained. Anyone else, and any account that is not a managed member
 * of the caller's directory, gets a 404.
 */
const tags = ['multi-account control'];

interface MemberFindingList<TQuery extends z.ZodObject> {
  noun: string;
  itemSchema: z.ZodObject;
  querySchema: TQuery;
  list: (db: Executor, p: FindingPage<z.infer<TQuery>>) => Promise<{ id: string }[]>;
}

function registerMemberFindingList<TQuery extends z.ZodObject>(
  app: OpenAPIHono<AppEnv>,
  r: MemberFindingList<TQuery>,
): void {
  app.openapi(
    defineRoute({
      method: 'get',
      path: `/v1/multi-account/members/{id}/${r.noun}`,
      tags,
      summary: `A managed member's ${r.noun}, with the filters and pagination of its own list`,
      request: { params: ZIdParamSchema, query: r.querySchema },
      responses: { 200: json(pageOf(r.itemSchema)) },
    }),
    async (c) => {
      const { id } = c.req.valid('param' as never) as { id: string };
      const { memberId } = await callerMember(c, id);
      const q = c.req.valid('query' as never) as z.infer<TQuery> & { limit: number; cursor?: string };
      const rows = await r.list(c.get('services').db, {
        accountId: memberId,
        after: decodeCursor(q.cursor),
        limit: q.limit,
        filter: q,
      });
      const p = page(rows, q.limit);
      return c.json({ items: p.items.map(toDto), nextCursor: p.nextCursor }, 200);
    },
  );
}

const assetsRoute = defineRoute({
  method: 'get',
  path: '/v1/multi-account/members/{id}/assets',
  tags,
  summary: "A managed member's assets, with the search, filters and pagination of its own list",
  request: { params: ZIdParamSchema, query: ZAssetQuerySchema },
  responses: { 200: json(pageOf(ZAssetSchema)) },
});

const ZSeverityCostSchema = z.object({
  count: z.number().int(),
  weight: z.number(),
  points: z.number(),
  pointsEach: z.number(),
});

const ZScoreExplainedSchema = z
  .object({
    accountId: z.uuid(),
    score: z.number().int().min(0).max(100),
    /** 100 − score before rounding. */
    pointsLost: z.number(),
    categories: z.array(
      z.object({
        category: z.enum(SCORE_CATEGORIES),
        maxDeduction: z.number(),
        weightedCount: z.number(),
        points: z.number(),
        bySeverity: z.object(
          Object.fromEntries(SEVERITIES.map((s) => [s, ZSeverityCostSchema])) as Record<
            (typeof SEVERITIES)[number],
            typeof ZSeverityCostSchema
          >,
        ),
      }),
    ),
    costliestFindings: z.array(
      z.object({
        category: z.enum(SCORE_CATEGORIES),
        id: z.uuid(),
        assetId: z.uuid().nullable(),
        title: z.string(),
        severity: z.enum(SEVERITIES),
        points: z.number(),
      }),
    ),
  })
  .openapi('MemberScoreExplained');

export type TScoreExplainedResponse = z.infer<typeof ZScoreExplainedSchema>;

const scoreRoute = defineRoute({
  method: 'get',
  path: '/v1/multi-account/members/{id}/score',
  tags,
  summary: "A managed member's security score explained: the points each category, severity and finding cost",
  description:
    `A category's deduction is shared among its findings by severity weight; the ${COSTLIEST_FINDINGS} ` +
    'costliest findings are named with their points.',
  request: { params: ZIdParamSchema },
  responses: { 200: json(ZScoreExplainedSchema) },
});

export function registerMultiAccountMemberRoutes(app: OpenAPIHono<AppEnv>): void {
  registerMemberFindingList(app, {
    noun: 'alerts',
    itemSchema: ZAlertSchema,
    querySchema: ZAlertQuerySchema,
    list: listAlerts,
  });
  registerMemberFindingList(app, {
    noun: 'vulnerabilities',
    itemSchema: ZVulnerabilitySchema,
    querySchema: ZVulnerabilityQuerySchema,
    list: listVulnerabilities,
  });
  registerMemberFindingList(app, {
    noun: 'baseline-risks',
    itemSchema: ZBaselineRiskSchema,
    querySchema: ZBaselineRiskQuerySchema,
    list: listBaselineRisks,
  });

  app.openapi(assetsRoute, async (c) => {
    const { memberId } = await callerMember(c, c.req.valid('param').id);
    const q = c.req.valid('query');
    const rows = await listAssets(
      c.get('services').db,
      { accountId: memberId, search: q.search, groupId: q.groupId, os: q.os, agentStatus: q.agentStatus },
      { limit: q.limit, ...decodeRankedCursor(q.cursor) },
    );
    const p = page(rows, q.limit);
    return c.json({ items: p.items.map(toAssetDto), nextCursor: p.nextCursor }, 200);
  });

  app.openapi(scoreRoute, async (c) => {
    const { memberId } = await callerMember(c, c.req.valid('param').id);
    return c.json(await memberScoreExplained(c.get('services').db, memberId), 200);
  });
}
