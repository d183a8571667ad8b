import { recordAudit } from '../../db/audit.js';
import type { Services } from '../../platform/services.js';
import { notFound, unprocessable } from '../../domain/errors.js';
import { scannableAsset } from './host-scans.js';
import { startHostScan, type ScanServices } from './start-host-scan.js';

export interface ScanActor {
  accountId: string;
  actor: string;
  requestId?: string | null;
}

/**
 * "Scan now": the asset's agent inventories the updates its package manager says are missing. Another account's
 * asset is a 404; an asset without an agent cannot be scanned (422). The start is audited once it happened.
 */
export async function scanAsset(
  services: ScanServices & Pick<Services, 'db'>,
  actor: ScanActor,
  assetId: string,
): Promise<{ assetId: string; workflowId: string }> {
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
  return { assetId, ...started };
}
