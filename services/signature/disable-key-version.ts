import { recordAudit } from '../../db/audit.js';
import { notFound } from '../../domain/errors.js';
import type { Services } from '../../platform/services.js';
import type { Actor } from './actor.js';
import { keyProviderFor } from './key-provider.js';
import { afterCommitNote, bumpSignatureGeneration } from './signature-state.js';
import { startSignatureRevocation } from './start-revocation.js';
import {
  keyVersionSummary,
  lockWitness,
  type WitnessServices,
  type WitnessWithVersions,
} from './witness-views.js';

export interface DisabledWitness {
  witness: WitnessWithVersions;
  /** Whether it was enabled before this call. */
  changed: boolean;
  /** The workflow re-checking the images trusted through it. */
  revocationWorkflowId: string;
}

/**
 * Disables one key version for good (idempotent) and starts the revocation of the Trusted Image labels it earned.
 * The workflow id is deterministic, so a caller that crashed between the commit and the start repairs it by
 * repeating the call.
 */
export async function disableKeyVersion(
  services: WitnessServices & Pick<Services, 'temporal' | 'taskQueues' | 'publicUrl'>,
  actor: Actor,
  opts: { witnessId: string; version: number },
): Promise<DisabledWitness> {
  const provider = keyProviderFor(services);
  const { witness, changed } = await afterCommitNote(
    actor.accountId,
    services.db.transaction(async (tx) => {
      const witness = await lockWitness(tx, actor.accountId, opts.witnessId);
      const versions = await provider.listVersions(tx, { witnessId: witness.id });
      const target = versions.find((v) => v.version === opts.version);
      if (!target) throw notFound(`key version ${opts.version}`);
      const changed = target.status === 'enabled';
      if (changed) {
        await provider.disable(tx, { witnessId: witness.id, version: opts.version });
        await bumpSignatureGeneration(tx, actor.accountId);
        await recordAudit(tx, {
          ...actor,
          action: 'signature.key_version.disable',
          targetType: 'signature_witness',
          targetId: witness.id,
          before: keyVersionSummary(target),
          after: { ...keyVersionSummary(target), status: 'disabled' },
        });
      }
      return {
        witness: { ...witness, versions: await provider.listVersions(tx, { witnessId: witness.id }) },
        changed,
      };
    }),
  );
  const revocationWorkflowId = await startSignatureRevocation(services, {
    accountId: witness.accountId,
    witnessId: witness.id,
    version: opts.version,
    witnessName: witness.name,
  });
  return { witness, changed, revocationWorkflowId };
}
