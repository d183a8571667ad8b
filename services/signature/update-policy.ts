import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { signaturePolicies } from '../../db/schema/signature.js';
import { conflict, notFound } from '../../domain/errors.js';
import type { Actor } from './actor.js';
import { checkReferences, checkWitnessSet, type PolicyInput, type PolicyRow } from './policy-checks.js';
import { afterCommitNote, recordSignatureChange } from './signature-state.js';

/** Changes a security policy; each change bumps its version (decisions record the version they applied). */
export async function updatePolicy(
  db: Database,
  actor: Actor,
  opts: { policyId: string; patch: Partial<PolicyInput> },
): Promise<PolicyRow> {
  return afterCommitNote(
    actor.accountId,
    db.transaction(async (tx) => {
      const [before] = await tx
        .select()
        .from(signaturePolicies)
        .where(and(eq(signaturePolicies.accountId, actor.accountId), eq(signaturePolicies.id, opts.policyId)))
        .for('update');
      if (!before) throw notFound('security policy');
      const { patch } = opts;
      if (patch.witnessId !== undefined || patch.clusterId !== undefined) {
        await checkReferences(
          tx,
          actor.accountId,
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
          actor.accountId,
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
            throw conflict(`a security policy named "${patch.name ?? ''}" exists`);
          }
          throw err;
        });
      if (!row) throw notFound('security policy');
      await recordSignatureChange(tx, actor, {
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
