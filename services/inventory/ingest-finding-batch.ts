import { recordAudit } from '../../db/audit.js';
import type { Database, Executor } from '../../db/client.js';
import { unprocessable } from '../../domain/errors.js';
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
  [K in FindingKind]: (tx: Executor, accountId: string, items: FindingInputs[K][]) => Promise<IngestResult>;
} = {
  vulnerabilities: ingestVulnerabilities,
  alerts: ingestAlerts,
  'baseline-risks': ingestBaselineRisks,
  attacks: ingestAttacks,
};

/**
 * A scanner's batch of findings (idempotent by natural key): asset ids that are not the account's are a 422 naming
 * them and nothing is written; the ingest and its audit row (`<kind>.ingest`) commit in one transaction.
 */
export async function ingestFindingBatch<K extends FindingKind>(
  db: Database,
  actor: InventoryActor,
  opts: { kind: K; items: FindingInputs[K][] },
): Promise<IngestResult> {
  const { kind, items } = opts;
  const unknown = await unknownAssetIds(
    db,
    actor.accountId,
    items.map((i) => i.assetId),
  );
  if (unknown.length > 0) {
    throw unprocessable(`${unknown.length} asset id(s) are not assets of this account`, {
      assetIds: unknown,
    });
  }
  const ingest = INGEST[kind] as (
    tx: Executor,
    accountId: string,
    items: FindingInputs[K][],
  ) => Promise<IngestResult>;
  return db.transaction(async (tx) => {
    const result = await ingest(tx, actor.accountId, items);
    await recordAudit(tx, {
      ...actor,
      action: `${kind}.ingest`,
      targetType: kind,
      after: { ...result, count: items.length },
    });
    return result;
  });
}
