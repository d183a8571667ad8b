import { notFound } from '../../domain/errors.js';
import type { Actor } from './actor.js';
import { disableAndRevoke, type DisableServices, type DisabledWitness } from './disable-and-revoke.js';
import { recordSignatureChange } from './signature-state.js';
import { keyVersionSummary } from './witness-views.js';

/** Disables one key version for good (idempotent) and starts the revocation of the Trusted Image labels it earned. */
export async function disableKeyVersion(
  services: DisableServices,
  actor: Actor,
  opts: { witnessId: string; version: number },
): Promise<DisabledWitness> {
  return disableAndRevoke(services, actor, opts, async (tx, witness, provider) => {
    const versions = await provider.listVersions(tx, { witnessId: witness.id });
    const target = versions.find((v) => v.version === opts.version);
    if (!target) throw notFound(`key version ${opts.version}`);
    const changed = target.status === 'enabled';
    if (changed) {
      await provider.disable(tx, { witnessId: witness.id, version: opts.version });
      await recordSignatureChange(tx, actor, {
        action: 'signature.key_version.disable',
        targetType: 'signature_witness',
        targetId: witness.id,
        before: keyVersionSummary(target),
        after: { ...keyVersionSummary(target), status: 'disabled' },
      });
    }
    return { changed, witness };
  });
}
