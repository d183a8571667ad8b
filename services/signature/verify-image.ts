import type { Executor } from '../../db/client.js';
import type { ImageVerdict } from '../../domain/signature/admission-review.js';
import { parseImageReference } from '../../domain/signature/image-reference.js';
import { ADMISSION_REGISTRY_DEADLINE_MS } from '../../domain/signature/registry-rules.js';
import type { SecretBox } from '../../platform/secrets.js';
import { verifyThroughIndex } from './index-signatures.js';
import { registrySourceFor } from './registry-source.js';
import { loadWitnessKeys, storedCandidates } from './signature-views.js';
import { verifyImageSignatures } from './verify-signatures.js';
import { findWitness } from './witness-views.js';

/**
 * Ad-hoc verification: is this image validly signed by the witness? With `payload` and `signature` (base64, as
 * found next to an image in a registry) those are checked instead. Otherwise Vigil's stored signatures, then the
 * cosign signatures in the image's registry; a tag is resolved there to the digest that is verified, and a
 * platform digest written with the tag of its image index is covered by the index's signature.
 */
export async function verifyImage(
  services: { db: Executor & object; secrets: SecretBox },
  opts: { accountId: string; witnessId: string; image: string; payload?: string; signature?: string },
): Promise<ImageVerdict & { image: string; witnessId: string }> {
  const { db } = services;
  const registry = registrySourceFor(services);
  const witness = await findWitness(db, opts.accountId, opts.witnessId);
  const parsed = parseImageReference(opts.image);
  if (!parsed.ok) return { ok: false, reason: parsed.reason, image: opts.image, witnessId: witness.id };
  const { ref } = parsed;
  const signal = AbortSignal.timeout(ADMISSION_REGISTRY_DEADLINE_MS);
  const fail = (reason: string, extra: { unavailable?: boolean } = {}) => ({
    ok: false as const,
    reason,
    ...extra,
    image: opts.image,
    witnessId: witness.id,
  });
  let digest = ref.digest;
  const warnings: string[] = [];
  if (digest === null) {
    const tag = ref.tag ?? 'latest';
    const resolved = await registry.resolveTag(opts.accountId, ref, tag, signal);
    if (!resolved.ok)
      return fail(`tag "${tag}" could not be resolved: ${resolved.error.message}`, { unavailable: true });
    if (!resolved.value) return fail(`tag "${tag}" does not exist in ${ref.name}`);
    digest = resolved.value.digest;
    warnings.push(`tag "${tag}" was resolved to ${digest}; a tag can move, deploy the digest`);
  }
  const keys = await loadWitnessKeys(db, witness);
  const image = `${ref.name}@${digest}`;
  if (opts.payload !== undefined && opts.signature !== undefined) {
    const candidates = [
      {
        keyVersion: null,
        payload: Buffer.from(opts.payload, 'base64'),
        signature: Buffer.from(opts.signature, 'base64'),
      },
    ];
    return { ...verifyImageSignatures({ digest, keys, candidates }), image, witnessId: witness.id };
  }
  const stored = (await storedCandidates(db, { witnessId: witness.id, digests: [digest] })).get(digest) ?? [];
  let verdict = verifyImageSignatures({ digest, keys, candidates: stored });
  if (!verdict.ok) {
    const found = await registry.signatures(opts.accountId, ref, digest, signal);
    verdict = found.ok
      ? verifyImageSignatures({ digest, keys, candidates: [...stored, ...found.value] })
      : {
          ok: false,
          unavailable: true,
          reason: `${verdict.reason}; the registry could not be asked for cosign signatures: ${found.error.message}`,
        };
  }
  if (!verdict.ok && !verdict.unavailable) {
    const viaIndex = await verifyThroughIndex(db, registry, {
      accountId: opts.accountId,
      ref,
      digest,
      witnessId: witness.id,
      keys,
      signal,
    });
    if (viaIndex)
      verdict = viaIndex.ok ? viaIndex : { ...viaIndex, reason: `${verdict.reason}; ${viaIndex.reason}` };
  }
  if (verdict.ok && warnings.length > 0) verdict = { ...verdict, warnings };
  return { ...verdict, digest, image, witnessId: witness.id };
}
