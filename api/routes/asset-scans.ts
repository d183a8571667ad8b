import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { scanAsset } from '../../services/inventory/scan-asset.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { defineRoute, json, ZIdParamSchema } from '../router.js';

export const ZAssetScanStartedSchema = z
  .object({
    assetId: z.uuid(),
    /** The scan's workflow in Temporal (its summary and the findings' counts show in the Temporal UI). */
    workflowId: z.string(),
  })
  .openapi('AssetScanStarted');
export type TAssetScanStarted = z.infer<typeof ZAssetScanStartedSchema>;

const scanRoute = defineRoute({
  method: 'post',
  path: '/v1/assets/{id}/scan',
  tags: ['inventory'],
  summary:
    'Scan the asset now: its agent inventories the updates its package manager says are missing; they become the asset’s vulnerabilities',
  request: { params: ZIdParamSchema },
  responses: { 202: json(ZAssetScanStartedSchema, 'Scan started') },
});

export function registerAssetScanRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(scanRoute, async (c) => {
    return c.json(await scanAsset(c.get('services'), auditActor(c), c.req.valid('param').id), 202);
  });
}
