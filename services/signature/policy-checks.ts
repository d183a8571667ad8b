import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { signatureClusters, signaturePolicies, signatureWitnesses } from '../../db/schema/signature.js';
import { unprocessable } from '../../domain/errors.js';
import type { TRegistryFailureMode, TTagPolicy } from '../../domain/signature/registry-rules.js';
import type { TPolicyMode } from '../../domain/signature/rules.js';

export type PolicyRow = typeof signaturePolicies.$inferSelect;

export interface PolicyInput {
  name: string;
  witnessId: string;
  clusterId: string;
  namespaces: string[];
  enabled?: boolean;
  mode: TPolicyMode;
  description: string;
  registryFailure?: TRegistryFailureMode;
  tagPolicy?: TTagPolicy;
  images?: string[];
  excludedImages?: string[];
  allowBreakGlass?: boolean;
  cosignerIds?: string[];
  requiredSignatures?: number;
}

/** N of M: at least one signature, at most one per witness of the set (the policy's witness and its cosigners). */
export async function checkWitnessSet(
  tx: Executor,
  accountId: string,
  witnessId: string,
  cosignerIds: string[],
  required: number,
) {
  const set = new Set([witnessId, ...cosignerIds]);
  if (set.size !== cosignerIds.length + 1)
    throw unprocessable('cosignerIds repeat a witness (or the policy witness)');
  if (required < 1 || required > set.size)
    throw unprocessable(
      `requiredSignatures must be between 1 and ${set.size} (the policy witness and ${cosignerIds.length} cosigner(s))`,
    );
  for (const id of cosignerIds) await checkWitness(tx, accountId, id);
}

/** The policy's witness and cluster exist in the account (an unknown id in the body is a 422, not a 404). */
export async function checkReferences(tx: Executor, accountId: string, witnessId: string, clusterId: string) {
  await checkWitness(tx, accountId, witnessId);
  const [cluster] = await tx
    .select({ id: signatureClusters.id })
    .from(signatureClusters)
    .where(and(eq(signatureClusters.accountId, accountId), eq(signatureClusters.id, clusterId)));
  if (!cluster) throw unprocessable(`cluster ${clusterId} does not exist in this account`);
}

async function checkWitness(tx: Executor, accountId: string, witnessId: string) {
  const [witness] = await tx
    .select({ status: signatureWitnesses.status, name: signatureWitnesses.name })
    .from(signatureWitnesses)
    .where(and(eq(signatureWitnesses.accountId, accountId), eq(signatureWitnesses.id, witnessId)));
  if (!witness) throw unprocessable(`witness ${witnessId} does not exist in this account`);
  if (witness.status !== 'active') throw unprocessable(`witness "${witness.name}" is disabled`);
}
