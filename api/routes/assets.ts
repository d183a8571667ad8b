import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { reportAssets } from '../../services/inventory/report-assets.js';
import { createAssetGroup } from '../../services/inventory/create-asset-group.js';
import { listAssetGroups } from '../../services/inventory/asset-group-views.js';
import { getAsset, listAssets, type AssetRow } from '../../services/inventory/asset-views.js';
import { OS_FAMILIES } from '../../domain/findings.js';
import { MAX_ASSETS_PER_UPSERT, ZAssetInputSchema } from '../../domain/inventory.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { notFound } from '../errors.js';
import { decodeCursor, decodeRankedCursor, page, ZPageQuerySchema } from '../pagination.js';
import { resourceRoutes } from '../route-shapes.js';
import { defineRoute, json, jsonBody } from '../router.js';
import { displayName } from '../../domain/input-rules.js';
import { isoTime } from './findings.js';

export const ZAssetSchema = z
  .object({
    id: z.uuid(),
    instanceId: z.string(),
    name: z.string(),
    hostname: z.string(),
    ips: z.array(z.string()),
    osFamily: z.enum(OS_FAMILIES),
    osVersion: z.string(),
    groups: z.array(z.object({ id: z.uuid(), name: z.string() })),
    tags: z.array(z.string()),
    agentStatus: z.enum(['online', 'offline', 'none']),
    lastSeenAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Asset');

export function toAssetDto(a: AssetRow): z.infer<typeof ZAssetSchema> {
  return {
    id: a.id,
    instanceId: a.instanceId,
    name: a.name,
    hostname: a.hostname,
    ips: a.ips,
    osFamily: a.osFamily,
    osVersion: a.osVersion,
    groups: a.groups,
    tags: a.tags,
    agentStatus: a.agentStatus,
    lastSeenAt: a.lastSeenAt ? isoTime(a.lastSeenAt) : null,
    createdAt: isoTime(a.createdAt),
    updatedAt: isoTime(a.updatedAt),
  };
}

const ZUpsertBodySchema = z.strictObject({
  assets: z.array(ZAssetInputSchema).min(1).max(MAX_ASSETS_PER_UPSERT),
});

const upsertRoute = defineRoute({
  method: 'post',
  path: '/v1/assets',
  operationId: 'upsertAssets',
  tags: ['inventory'],
  summary: `Bulk upsert up to ${MAX_ASSETS_PER_UPSERT} assets (idempotent by instanceId, default hostname)`,
  request: { body: jsonBody(ZUpsertBodySchema) },
  responses: {
    200: json(z.object({ created: z.number().int(), updated: z.number().int(), ids: z.array(z.uuid()) })),
  },
});

export const ZAssetQuerySchema = ZPageQuerySchema.extend({
  search: z.string().max(200).optional().openapi({
    description:
      'Fuzzy match on name, hostname or IP; results come most relevant first (exact, then substring, then similar names)',
  }),
  groupId: z.uuid().optional(),
  os: z.enum(OS_FAMILIES).optional(),
  agentStatus: z.enum(['online', 'offline', 'none']).optional(),
});

const assetRoutes = resourceRoutes('/v1/assets', ['inventory'], ZAssetSchema);
const listRoute = assetRoutes.list(
  'List assets with fuzzy search, filters and cursor pagination',
  ZAssetQuerySchema,
);
const getRoute = assetRoutes.get('One asset');

const ZGroupSchema = z
  .object({ id: z.uuid(), name: z.string(), description: z.string(), createdAt: z.iso.datetime() })
  .openapi('AssetGroup');

const createGroupRoute = defineRoute({
  method: 'post',
  path: '/v1/asset-groups',
  tags: ['inventory'],
  summary: 'Create an asset group',
  request: {
    body: jsonBody(
      z.strictObject({
        name: displayName(100),
        description: z.string().max(1000).default(''),
      }),
    ),
  },
  responses: { 201: json(ZGroupSchema, 'Created') },
});

const listGroupsRoute = resourceRoutes('/v1/asset-groups', ['inventory'], ZGroupSchema).list(
  'List asset groups',
);

export function registerAssetRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(upsertRoute, async (c) => {
    const { db } = c.get('services');
    const actor = auditActor(c);
    const body = c.req.valid('json');
    const result = await reportAssets(db, actor, { assets: body.assets });
    return c.json(result, 200);
  });

  app.openapi(listRoute, async (c) => {
    const { db } = c.get('services');
    const q = c.req.valid('query');
    const rows = await listAssets(
      db,
      {
        accountId: c.get('caller').accountId,
        search: q.search,
        groupId: q.groupId,
        os: q.os,
        agentStatus: q.agentStatus,
      },
      { limit: q.limit, ...decodeRankedCursor(q.cursor) },
    );
    const p = page(rows, q.limit);
    return c.json({ items: p.items.map(toAssetDto), nextCursor: p.nextCursor }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { db } = c.get('services');
    const asset = await getAsset(db, c.get('caller').accountId, c.req.valid('param').id);
    if (!asset) throw notFound('asset');
    return c.json(toAssetDto(asset), 200);
  });

  app.openapi(createGroupRoute, async (c) => {
    const { db } = c.get('services');
    const actor = auditActor(c);
    const body = c.req.valid('json');
    const group = await createAssetGroup(db, actor, { name: body.name, description: body.description });
    return c.json({ ...group, createdAt: group.createdAt.toISOString() }, 201);
  });

  app.openapi(listGroupsRoute, async (c) => {
    const { db } = c.get('services');
    const q = c.req.valid('query');
    const rows = await listAssetGroups(db, c.get('caller').accountId, {
      after: decodeCursor(q.cursor),
      limit: q.limit + 1,
    });
    const p = page(rows, q.limit);
    return c.json(
      {
        items: p.items.map((g) => ({ ...g, createdAt: g.createdAt.toISOString() })),
        nextCursor: p.nextCursor,
      },
      200,
    );
  });
}
