import { and, eq } from 'drizzle-orm';
import { imageSignatures, signatureKeyVersions } from '../../db/schema/signature.js';
import { conflict, unprocessable } from '../../domain/errors.js';
import { buildCosignPayload } from '../../domain/signature/cosign-payload.js';
import { parseDigestReference } from '../../domain/signature/image-reference.js';
import type { Services } from '../../platform/services.js';
import type { Actor } from './actor.js';
import { keyProviderFor } from './key-provider.js';
import { pushSignatureToRegistry, type RegistryPush } from './registry-push.js';
import { registrySourceFor } from './registry-source.js';
import { afterCommitNote, recordSignatureChange } from './signature-state.js';
import type { ImageSignatureRow } from './signature-views.js';
import { findWitness } from './witness-views.js';

type SignServices = Pick<Services, 'db' | 'secrets' | 'config'>;

/**
 * Signs `registry/repo@sha256:…` with the witness's current key version: cosign's payload, RSASSA-PKCS1-v1_5 over
 * its SHA-256. Idempotent per (witness, key version, image): a repeat returns the stored signature. With `push`,
 * the signature is also written next to the image in its registry (cosign's layout).
 */
export async function signImage(
  services: SignServices,
  actor: Actor,
  opts: { witnessId: string; image: string; push: boolean },
): Promise<{ signature: ImageSignatureRow; created: boolean; registry: RegistryPush }> {
  const stored = await storeSignature(services, actor, opts);
  const registry: RegistryPush = opts.push
    ? await pushSignatureToRegistry(services.db, registrySourceFor(services), {
        ...actor,
        signatureId: stored.signature.id,
        image: `${stored.signature.repository}@${stored.signature.digest}`,
        payload: stored.signature.payload,
        signatureBase64: stored.signature.signature,
      })
    : { status: 'skipped', location: null, reason: 'not asked to write to the registry' };
  return { ...stored, registry };
}

async function storeSignature(
  services: SignServices,
  actor: Actor,
  opts: { witnessId: string; image: string },
): Promise<{ signature: ImageSignatureRow; created: boolean }> {
  const { db } = services;
  const parsed = parseDigestReference(opts.image);
  if (!parsed.ok) throw unprocessable(parsed.reason);
  const ref = parsed.ref;
  const witness = await findWitness(db, actor.accountId, opts.witnessId);
  if (witness.status !== 'active') throw unprocessable(`witness "${witness.name}" is disabled`);
  const version = witness.currentVersion;
  const where = and(
    eq(imageSignatures.witnessId, witness.id),
    eq(imageSignatures.keyVersion, version),
    eq(imageSignatures.digest, ref.digest),
    eq(imageSignatures.repository, ref.name),
  );
  const [existing] = await db.select().from(imageSignatures).where(where);
  if (existing) return { signature: existing, created: false };
  const [key] = await db
    .select({ status: signatureKeyVersions.status })
    .from(signatureKeyVersions)
    .where(and(eq(signatureKeyVersions.witnessId, witness.id), eq(signatureKeyVersions.version, version)));
  if (key?.status !== 'enabled') {
    throw unprocessable(
      `key version ${version} of witness "${witness.name}" is disabled; rotate the witness to sign`,
    );
  }
  if (witness.keyOrigin === 'publicKey')
    throw unprocessable(
      `witness "${witness.name}" holds a public key only; it verifies images signed elsewhere and signs nothing`,
    );
  const payload = buildCosignPayload({ image: ref });
  // A KMS that cannot sign answers 503 (retry later) or 422 (it refused) through the provider's VigilError.
  const sig = await keyProviderFor(services).sign(db, {
    witnessId: witness.id,
    version,
    payload: Buffer.from(payload, 'utf8'),
  });
  return afterCommitNote(
    actor.accountId,
    db.transaction(async (tx) => {
      const [row] = await tx
        .insert(imageSignatures)
        .values({
          accountId: actor.accountId,
          witnessId: witness.id,
          keyVersion: version,
          repository: ref.name,
          digest: ref.digest,
          payload,
          signature: sig.toString('base64'),
          createdBy: actor.actor,
        })
        .onConflictDoNothing()
        .returning();
      if (!row) {
        const [raced] = await tx.select().from(imageSignatures).where(where);
        if (!raced) throw conflict('the signature was created and removed concurrently; retry');
        return { signature: raced, created: false };
      }
      // New signatures change what admission would decide for this digest.
      await recordSignatureChange(tx, actor, {
        action: 'signature.sign',
        targetType: 'signature_image_signature',
        targetId: row.id,
        after: { witnessId: witness.id, keyVersion: version, image: `${ref.name}@${ref.digest}` },
      });
      return { signature: row, created: true };
    }),
  );
}
