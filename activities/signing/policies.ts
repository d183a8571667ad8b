import { and, eq, gt, sql } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import type { Database, Executor } from '../../db/client.js';
import { signatureClusters, signaturePolicies, signatureWitnesses } from '../../db/schema/signature.js';
import type { TRegistryFailureMode, TTagPolicy } from '../../domain/signature/registry-rules.js';
import { POLICY_ENABLED_BY_DEFAULT, type TPolicyMode } from '../../domain/signature/rules.js';
import { afterCommitNote, bumpSignatureGeneration } from './state.js';
import { SigningRuleError, type Actor } from './witnesses.js';

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
async function checkWitnessSet(
  tx: Executor,
  accountId: string,
  witnessId: string,
  cosignerIds: string[],
  required: number,
) {
  const set = new Set([witnessId, ...cosignerIds]);
  if (set.size !== cosignerIds.length + 1)
    throw new SigningRuleError('unprocessable', 'cosignerIds repeat a witness (or the policy witness)');
  if (required < 1 || required > set.size)
    throw new SigningRuleError(
      'unprocessable',
      `requiredSignatures must be between 1 and ${set.size} (the policy witness and ${cosignerIds.length} cosigner(s))`,
    );
  for (const id of cosignerIds) await checkWitness(tx, accountId, id);
}

async function checkReferences(tx: Executor, accountId: string, witnessId: string, clusterId: string) {
  await checkWitness(tx, accountId, witnessId);
  const [cluster] = await tx
    .select({ id: signatureClusters.id })
    .from(signatureClusters)
    .where(and(eq(signatureClusters.accountId, accountId), eq(signatureClusters.id, clusterId)));
  if (!cluster)
    throw new SigningRuleError('unprocessable', `cluster ${clusterId} does not exist in this account`);
}

async function checkWitness(tx: Executor, accountId: string, witnessId: string) {
  const [witness] = await tx
    .select({ status: signatureWitnesses.status, name: signatureWitnesses.name })
    .from(signatureWitnesses)
    .where(and(eq(signatureWitnesses.accountId, accountId), eq(signatureWitnesses.id, witnessId)));
  if (!witness)
    throw new SigningRuleError('unprocessable', `witness ${witnessId} does not exist in this account`);
  if (witness.status !== 'active')
    throw new SigningRuleError('unprocessable', `witness "${witness.name}" is disabled`);
}

export async function createPolicy(db: Database, opts: Actor & PolicyInput): Promise<PolicyRow> {
  return afterCommitNote(
    opts.accountId,
    db.transaction(async (tx) => {
      await checkReferences(tx, opts.accountId, opts.witnessId, opts.clusterId);
      await checkWitnessSet(
        tx,
        opts.accountId,
        opts.witnessId,
        opts.cosignerIds ?? [],
        opts.requiredSignatures ?? 1,
      );
      const [row] = await tx
        .insert(signaturePolicies)
        .values({
          accountId: opts.accountId,
          name: opts.name,
          witnessId: opts.witnessId,
          clusterId: opts.clusterId,
          namespaces: [...new Set(opts.namespaces)],
          enabled: opts.enabled ?? POLICY_ENABLED_BY_DEFAULT,
          mode: opts.mode,
          description: opts.description,
          registryFailure: opts.registryFailure,
          tagPolicy: opts.tagPolicy,
          images: opts.images,
          excludedImages: opts.excludedImages,
          allowBreakGlass: opts.allowBreakGlass,
          cosignerIds: opts.cosignerIds,
          requiredSignatures: opts.requiredSignatures,
        })
        .onConflictDoNothing()
        .returning();
      if (!row) throw new SigningRuleError('conflict', `a security policy named "${opts.name}" exists`);
      await bumpSignatureGeneration(tx, opts.accountId);
      await recordAudit(tx, {
        ...opts,
        action: 'signature.policy.create',
        targetType: 'signature_policy',
        targetId: row.id,
        after: row,
      });
      return row;
    }),
  );
}

export async function updatePolicy(
  db: Database,
  opts: Actor & { policyId: string; patch: Partial<PolicyInput> },
): Promise<PolicyRow> {
  return afterCommitNote(
    opts.accountId,
    db.transaction(async (tx) => {
      const [before] = await tx
        .select()
        .from(signaturePolicies)
        .where(and(eq(signaturePolicies.accountId, opts.accountId), eq(signaturePolicies.id, opts.policyId)))
        .for('update');
      if (!before) throw new SigningRuleError('not_found', 'security policy not found');
      const { patch } = opts;
      if (patch.witnessId !== undefined || patch.clusterId !== undefined) {
        await checkReferences(
          tx,
          opts.accountId,
          patch.witnessId ?? before.witnessId,
          patch.clusterId ?? before.clusterId,
        );
      }
      if (
        patch.witnessId !== undefined ||
        patch.cosignerIds !== undefined ||
        patch.requiredSignatures !== undefined
      )
        await checkWitnessSet(
          tx,
          opts.accountId,
          patch.witnessId ?? before.witnessId,
          patch.cosignerIds ?? before.cosignerIds,
          patch.requiredSignatures ?? before.requiredSignatures,
        );
      const [row] = await tx
        .update(signaturePolicies)
        .set({
          ...patch,
          ...(patch.namespaces ? { namespaces: [...new Set(patch.namespaces)] } : {}),
          version: sql`${signaturePolicies.version} + 1`,
        })
        .where(eq(signaturePolicies.id, before.id))
        .returning()
        .catch((err: unknown) => {
          if (/signature_policies_name_uq/.test(String((err as { cause?: unknown }).cause ?? err))) {
            throw new SigningRuleError('conflict', `a security policy named "${patch.name ?? ''}" exists`);
          }
          throw err;
        });
      if (!row) throw new SigningRuleError('not_found', 'security policy not found');
      await bumpSignatureGeneration(tx, opts.accountId);
      await recordAudit(tx, {
        ...opts,
        action: 'signature.policy.update',
        targetType: 'signature_policy',
        targetId: row.id,
        before,
        after: row,
      });
      return row;
    }),
  );
}

export async function deletePolicy(db: Database, opts: Actor & { policyId: string }): Promise<void> {
  await afterCommitNote(
    opts.accountId,
    db.transaction(async (tx) => {
      const [row] = await tx
        .delete(signaturePolicies)
        .where(and(eq(signaturePolicies.accountId, opts.accountId), eq(signaturePolicies.id, opts.policyId)))
        .returning();
      if (!row) throw new SigningRuleError('not_found', 'security policy not found');
      await bumpSignatureGeneration(tx, opts.accountId);
      await recordAudit(tx, {
        ...opts,
        action: 'signature.policy.delete',
        targetType: 'signature_policy',
        targetId: row.id,
        before: row,
      });
    }),
  );
}

export async function getPolicy(
  db: Executor,
  opts: { accountId: string; policyId: string },
): Promise<PolicyRow | null> {
  const [row] = await db
    .select()
    .from(signaturePolicies)
    .where(and(eq(signaturePolicies.accountId, opts.accountId), eq(signaturePolicies.id, opts.policyId)));
  return row ?? null;
}

export async function listPolicies(
  db: Executor,
  opts: { accountId: string; clusterId?: string; after?: string; limit: number },
) {
  return db
    .select()
    .from(signaturePolicies)
    .where(
      and(
        eq(signaturePolicies.accountId, opts.accountId),
        opts.clusterId ? eq(signaturePolicies.clusterId, opts.clusterId) : undefined,
        opts.after ? gt(signaturePolicies.id, opts.after) : undefined,
      ),
    )
    .orderBy(signaturePolicies.id)
    .limit(opts.limit + 1);
}
