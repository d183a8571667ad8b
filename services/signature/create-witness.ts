import { recordAudit } from '../../db/audit.js';
import { signatureWitnesses } from '../../db/schema/signature.js';
import { conflict, unprocessable } from '../../domain/errors.js';
import type { TWitnessKeySpec, TWitnessPurpose } from '../../domain/signature/rules.js';
import type { Actor } from './actor.js';
import {
  checkKeySource,
  keyOriginOf,
  keyProviderFor,
  providerNameOf,
  type KeySource,
} from './key-provider.js';
import { keyVersionSummary, type WitnessServices, type WitnessWithVersions } from './witness-views.js';

/**
 * Creates a witness and its key version 1: generated here, an imported private key (sealed like generated ones),
 * a public key only (verify only), or an AWS KMS key. A bad key is a 422 before anything is stored.
 */
export async function createWitness(
  services: WitnessServices,
  actor: Actor,
  opts: {
    name: string;
    description: string;
    keySpec: TWitnessKeySpec;
    purpose: TWitnessPurpose;
    source?: KeySource;
  },
): Promise<WitnessWithVersions> {
  const source = opts.source ?? { type: 'generate' };
  const invalid = checkKeySource(source);
  if (invalid) throw unprocessable(invalid);
  const purpose: TWitnessPurpose = source.type === 'publicKey' ? 'VERIFY' : opts.purpose;
  if (purpose === 'VERIFY' && source.type !== 'publicKey')
    throw unprocessable('purpose VERIFY is for witnesses made from a public key');
  const provider = keyProviderFor(services);
  return services.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(signatureWitnesses)
      .values({
        accountId: actor.accountId,
        name: opts.name,
        description: opts.description,
        keySpec: opts.keySpec,
        purpose,
        provider: providerNameOf(source),
        keyOrigin: keyOriginOf(source),
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw conflict(`a witness named "${opts.name}" exists`);
    const key = await provider.createKey(tx, {
      accountId: actor.accountId,
      witnessId: row.id,
      version: 1,
      keySpec: opts.keySpec,
      source,
    });
    await recordAudit(tx, {
      ...actor,
      action: 'signature.witness.create',
      targetType: 'signature_witness',
      targetId: row.id,
      after: { ...row, versions: [keyVersionSummary(key)] },
    });
    return { ...row, versions: [key] };
  });
}
