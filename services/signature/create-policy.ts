import type { Database } from '../../db/client.js';
import { signaturePolicies } from '../../db/schema/signature.js';
import { conflict } from '../../domain/errors.js';
import { POLICY_ENABLED_BY_DEFAULT } from '../../domain/signature/rules.js';
import type { Actor } from './actor.js';
import { checkReferences, checkWitnessSet, type PolicyInput, type PolicyRow } from './policy-checks.js';
import { afterCommitNote, recordSignatureChange } from './signature-state.js';

/** Creates a security policy (off by default, as the product ships it); admission sees it once committed. */
export async function createPolicy(db: Database, actor: Actor, opts: PolicyInput): Promise<PolicyRow> {
  return afterCommitNote(
    actor.accountId,
    db.transaction(async (tx) => {
      await checkReferences(tx, actor.accountId, opts.witnessId, opts.clusterId);
      await checkWitnessSet(
        tx,
        actor.accountId,
        opts.witnessId,
        opts.cosignerIds ?? [],
        opts.requiredSignatures ?? 1,
      );
      const [row] = await tx
        .insert(signaturePolicies)
        .values({
          accountId: actor.accountId,
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
      if (!row) throw conflict(`a security policy named "${opts.name}" exists`);
      await recordSignatureChange(tx, actor, {
        action: 'signature.policy.create',
        targetType: 'signature_policy',
        targetId: row.id,
        after: row,
      });
      return row;
    }),
  );
}
