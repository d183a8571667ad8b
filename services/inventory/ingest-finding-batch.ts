import { recordAudit } from '../../db/audit.js';
import type { Database, Executor } from '../../db/client.js';
import { databaseErrorOf } from '../../db/errors.js';
import { ASSET_OF_ACCOUNT_KEYS, type IngestCounts } from '../../db/inventory/finding-upserts.js';
import { conflict, unprocessable, type VigilError } from '../../domain/errors.js';
import type {
  TAlertInput,
  TAttackInput,
  TBaselineRiskInput,
  TVulnerabilityInput,
} from '../../domain/findings-input.js';
import type { InventoryActor } from './actor.js';
import {
  ingestAlerts,
  ingestAttacks,
  ingestBaselineRisks,
  ingestVulnerabilities,
  unknownAssetIds,
  type IngestResult,
} from './ingest-findings.js';

/** The items of a scanner's batch, by the kind of finding (the resource's noun, also the audit target type). */
export interface FindingInputs {
  vulnerabilities: TVulnerabilityInput;
  alerts: TAlertInput;
  'baseline-risks': TBaselineRiskInput;
  attacks: TAttackInput;
}

export type FindingKind = keyof FindingInputs;

const INGEST: {
  [K in FindingKind]: (tx: Executor, accountId: string, items: FindingInputs[K][]) => Promise<IngestCounts>;
} = {
  vulnerabilities: ingestVulnerabilities,
  alerts: ingestAlerts,
  'baseline-risks': ingestBaselineRisks,
  attacks: ingestAttacks,
};

/**
 * A scanner's batch of findings (idempotent by natural key): asset ids that are not the account's are a 422 naming
 * them and nothing is written; the ingest and its audit row (`<kind>.ingest`) commit in one transaction.
 *
 * A good batch (every batch but a broken scanner's) costs no look-up of its asset ids. A kind whose asset is
 * required (vulnerabilities, baseline risks) has its rows' assets checked by its foreign key on (account_id,
 * asset_id): a row naming another account's asset, or none that exists, fails the statement and the transaction
 * rolls back. A kind whose asset is optional has its statement leave such rows out and count them, and the batch is
 * refused inside the transaction, whose rollback takes back the rows it wrote. Either way the refusal then names the
 * batch's asset ids that are not the account's.
 */
export async function ingestFindingBatch<K extends FindingKind>(
  db: Database,
  actor: InventoryActor,
  opts: { kind: K; items: FindingInputs[K][] },
): Promise<IngestResult> {
  const { kind, items } = opts;
  const ingest = INGEST[kind] as (
    tx: Executor,
    accountId: string,
    items: FindingInputs[K][],
  ) => Promise<IngestCounts>;
  try {
    return await db.transaction(async (tx) => {
      const { created, updated, foreignAssetRows } = await ingest(tx, actor.accountId, items);
      if (foreignAssetRows > 0) throw await refusal(tx, actor.accountId, items);
      const result = { created, updated };
      await recordAudit(tx, {
        ...actor,
        action: `${kind}.ingest`,
        targetType: kind,
        after: { ...result, count: items.length },
      });
      return result;
    });
  } catch (err) {
    const refused = databaseErrorOf(err);
    if (refused?.code !== '23503' || !ASSET_OF_ACCOUNT_KEYS.has(refused.constraint ?? '')) throw err;
    throw await refusal(db, actor.accountId, items);
  }
}

/** Why a batch naming assets that are not the account's is refused: the ids, or a race with the assets' writes. */
async function refusal(
  db: Executor,
  accountId: string,
  items: { assetId?: string | null }[],
): Promise<VigilError> {
  const unknown = await unknownAssetIds(
    db,
    accountId,
    items.map((i) => i.assetId),
  );
  // Read committed: an asset added since the statement ran is seen now; the same batch sent again is written.
  if (unknown.length === 0)
    return conflict('assets of this batch were added while it was written; send it again');
  return unprocessable(`${unknown.length} asset id(s) are not assets of this account`, { assetIds: unknown });
}
