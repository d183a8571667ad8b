import { eq, sql } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import { signatureWitnesses } from '../../db/schema/signature.js';
import type { Services } from '../../platform/services.js';
import type { Actor } from './actor.js';
import type { DisabledWitness } from './disable-key-version.js';
import { keyProviderFor } from './key-provider.js';
import { afterCommitNote, bumpSignatureGeneration } from './signature-state.js';
import { startSignatureRevocation } from './start-revocation.js';
import { lockWitness, type WitnessServices } from './witness-views.js';

/**
 * Disables the witness and every key version of it (idempotent), and starts the revocation of the Trusted Image
 * labels it earned (deterministic workflow id: repeating the call repairs a start that did not happen).
 */
export async function disableWitness(
  services: WitnessServices & Pick<Services, 'temporal' | 'taskQueues' | 'publicUrl'>,
  actor: Actor,
  opts: { witnessId: string },
): Promise<DisabledWitness> {
  const provider = keyProviderFor(services);
  const { witness, changed } = await afterCommitNote(
    actor.accountId,
    services.db.transaction(async (tx) => {
      const witness = await lockWitness(tx, actor.accountId, opts.witnessId);
      const changed = witness.status === 'active';
      if (changed) {
        for (const v of await provider.listVersions(tx, { witnessId: witness.id })) {
          if (v.status === 'enabled')
            await provider.disable(tx, { witnessId: witness.id, version: v.version });
        }
        await tx
          .update(signatureWitnesses)
          .set({ status: 'disabled', disabledAt: sql`now()` })
          .where(eq(signatureWitnesses.id, witness.id));
        await bumpSignatureGeneration(tx, actor.accountId);
        await recordAudit(tx, {
          ...actor,
          action: 'signature.witness.disable',
          targetType: 'signature_witness',
          targetId: witness.id,
          before: { status: witness.status },
          after: { status: 'disabled' },
        });
      }
      const [row] = await tx.select().from(signatureWitnesses).where(eq(signatureWitnesses.id, witness.id));
      return {
        witness: {
          ...(row ?? witness),
          versions: await provider.listVersions(tx, { witnessId: witness.id }),
        },
        changed,
      };
    }),
  );
  const revocationWorkflowId = await startSignatureRevocation(services, {
    accountId: witness.accountId,
    witnessId: witness.id,
    version: null,
    witnessName: witness.name,
  });
  return { witness, changed, revocationWorkflowId };
}
