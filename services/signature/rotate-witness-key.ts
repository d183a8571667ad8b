import { eq } from 'drizzle-orm';
import { signatureWitnesses } from '../../db/schema/signature.js';
import { unprocessable } from '../../domain/errors.js';
import type { Actor } from './actor.js';
import { keyProviderFor } from './key-provider.js';
import { afterCommitNote, recordSignatureChange } from './signature-state.js';
import {
  keyVersionSummary,
  lockWitness,
  type WitnessServices,
  type WitnessWithVersions,
} from './witness-views.js';

/** A new key version becomes current; older enabled versions keep verifying until they are disabled. */
export async function rotateWitnessKey(
  services: WitnessServices,
  actor: Actor,
  opts: { witnessId: string },
): Promise<WitnessWithVersions> {
  const provider = keyProviderFor(services);
  return afterCommitNote(
    actor.accountId,
    services.db.transaction(async (tx) => {
      const witness = await lockWitness(tx, actor.accountId, opts.witnessId);
      if (witness.status !== 'active') throw unprocessable('the witness is disabled; it cannot rotate');
      // Rotation makes the next key where the first came from; a key brought from outside cannot be made here.
      if (witness.keyOrigin === 'imported' || witness.keyOrigin === 'publicKey')
        throw unprocessable(
          `witness "${witness.name}" uses a key brought from outside (${witness.keyOrigin}); create a new witness for the new key`,
        );
      const versions = await provider.listVersions(tx, { witnessId: witness.id });
      const next = Math.max(0, ...versions.map((v) => v.version)) + 1;
      const key = await provider.createKey(tx, {
        accountId: actor.accountId,
        witnessId: witness.id,
        version: next,
        keySpec: witness.keySpec,
        source: witness.keyOrigin === 'kms' ? { type: 'awsKms' } : { type: 'generate' },
      });
      const [updated] = await tx
        .update(signatureWitnesses)
        .set({ currentVersion: next })
        .where(eq(signatureWitnesses.id, witness.id))
        .returning();
      await recordSignatureChange(tx, actor, {
        action: 'signature.witness.rotate',
        targetType: 'signature_witness',
        targetId: witness.id,
        before: { currentVersion: witness.currentVersion },
        after: { currentVersion: next, created: keyVersionSummary(key) },
      });
      return { ...(updated ?? witness), versions: [...versions, key] };
    }),
  );
}
