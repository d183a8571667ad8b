import { eq, sql } from 'drizzle-orm';
import { signatureWitnesses } from '../../db/schema/signature.js';
import type { Actor } from './actor.js';
import { disableAndRevoke, type DisableServices, type DisabledWitness } from './disable-and-revoke.js';
import { recordSignatureChange } from './signature-state.js';

/**
 * Disables the witness and every key version of it (idempotent), and starts the revocation of the Trusted Image
 * labels it earned (deterministic workflow id: repeating the call repairs a start that did not happen).
 */
export async function disableWitness(
  services: DisableServices,
  actor: Actor,
  opts: { witnessId: string },
): Promise<DisabledWitness> {
  return disableAndRevoke(services, actor, { ...opts, version: null }, async (tx, witness, provider) => {
    const changed = witness.status === 'active';
    if (changed) {
      for (const v of await provider.listVersions(tx, { witnessId: witness.id })) {
        if (v.status === 'enabled') await provider.disable(tx, { witnessId: witness.id, version: v.version });
      }
      await tx
        .update(signatureWitnesses)
        .set({ status: 'disabled', disabledAt: sql`now()` })
        .where(eq(signatureWitnesses.id, witness.id));
      await recordSignatureChange(tx, actor, {
        action: 'signature.witness.disable',
        targetType: 'signature_witness',
        targetId: witness.id,
        before: { status: witness.status },
        after: { status: 'disabled' },
      });
    }
    const [row] = await tx.select().from(signatureWitnesses).where(eq(signatureWitnesses.id, witness.id));
    return { changed, witness: row ?? witness };
  });
}
