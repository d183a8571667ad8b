import type { Executor } from '../../db/client.js';
import type { Services } from '../../platform/services.js';
import type { Actor } from './actor.js';
import { keyProviderFor, type KeyProvider } from './key-provider.js';
import { afterCommitNote } from './signature-state.js';
import { startSignatureRevocation } from './start-revocation.js';
import {
  lockWitness,
  type WitnessRow,
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

export type DisableServices = WitnessServices & Pick<Services, 'temporal' | 'taskQueues' | 'publicUrl'>;

/**
 * What disabling a witness or one key version of it shares: in one transaction, the witness is locked, `disable`
 * changes what it must (idempotent: it tells whether anything changed, and gives the witness as it is now), and the
 * key versions are read; once committed, the change is noted and the revocation of the Trusted Image labels earned
 * through what was disabled starts (`version` null: the whole witness). The workflow id is deterministic, so a
 * caller that crashed between the commit and the start repairs it by repeating the call.
 */
export async function disableAndRevoke(
  services: DisableServices,
  actor: Actor,
  scope: { witnessId: string; version: number | null },
  disable: (
    tx: Executor,
    locked: WitnessRow,
    provider: KeyProvider,
  ) => Promise<{ changed: boolean; witness: WitnessRow }>,
): Promise<DisabledWitness> {
  const provider = keyProviderFor(services);
  const { witness, changed } = await afterCommitNote(
    actor.accountId,
    services.db.transaction(async (tx) => {
      const done = await disable(tx, await lockWitness(tx, actor.accountId, scope.witnessId), provider);
      return {
        witness: {
          ...done.witness,
          versions: await provider.listVersions(tx, { witnessId: done.witness.id }),
        },
        changed: done.changed,
      };
    }),
  );
  const revocationWorkflowId = await startSignatureRevocation(services, {
    accountId: witness.accountId,
    witnessId: witness.id,
    version: scope.version,
    witnessName: witness.name,
  });
  return { witness, changed, revocationWorkflowId };
}
