import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { scannableAsset } from '../../services/inventory/host-scans.js';
import { startHostScan } from '../../services/inventory/start-host-scan.js';
import { recordAudit } from '../../db/audit.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { notFound, unprocessable } from '../errors.js';
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
    const services = c.get('services');
    const actor = auditActor(c);
    const assetId = c.req.valid('param').id;
    const asset = await scannableAsset(services.db, actor.accountId, assetId);
    if (!asset) throw notFound('asset');
    if (asset.executor === null) throw unprocessable('the asset has no agent to scan it');
    const started = await startHostScan(services, {
      accountId: actor.accountId,
      assetId,
      assetName: asset.name,
    });
    await recordAudit(services.db, {
      ...actor,
      action: 'asset.scan',
      targetType: 'asset',
      targetId: assetId,
      after: started,
    });
    return c.json({ assetId, ...started }, 202);
  });
}
