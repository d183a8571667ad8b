import { recordAudit } from '../../db/audit.js';
import type { Database, Executor } from '../../db/client.js';
import type { IngestCounts } from '../../db/inventory/finding-upserts.js';
import { conflict, unprocessable } from '../../domain/errors.js';
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
 * The ingest statement checks each row's asset itself and leaves out rows whose asset is not the account's, so a
 * good batch (every batch but a broken scanner's) costs no look-up of its asset ids; a batch with such rows is
 * refused after the statement, inside the transaction, whose rollback takes back the rows it wrote.
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
  return db.transaction(async (tx) => {
    const { created, updated, foreignAssetRows } = await ingest(tx, actor.accountId, items);
    if (foreignAssetRows > 0) {
      const unknown = await unknownAssetIds(
        tx,
        actor.accountId,
        items.map((i) => i.assetId),
      );
      // Read committed: an asset added since the statement ran is seen now; the same batch sent again is written.
      if (unknown.length === 0)
        throw conflict('assets of this batch were added while it was written; send it again');
      throw unprocessable(`${unknown.length} asset id(s) are not assets of this account`, {
        assetIds: unknown,
      });
    }
    const result = { created, updated };
    await recordAudit(tx, {
      ...actor,
      action: `${kind}.ingest`,
      targetType: kind,
      after: { ...result, count: items.length },
    });
    return result;
  });
}
