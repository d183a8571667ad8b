import type { Executor } from '../../db/client.js';
import type { ImageVerdict } from '../../domain/signature/admission-review.js';
import type { ImageReference } from '../../domain/signature/image-reference.js';
import type { RegistrySignatureSource } from './registry-source.js';
import { storedCandidates } from './signature-views.js';
import { verifyImageSignatures, type WitnessKeys } from './verify-signatures.js';

/**
 * A signature on an image index covers the platform images it lists (cosign signs the index a multi-arch tag names).
 * Asked only for a reference written `name:tag@sha256:<platform>` whose own digest has no valid signature: the tag
 * says which index the platform digest came through. The index is read by that tag, and it must list the digest;
 * what is then verified is the index's digest, which is content-addressed, so a moved tag can only point at another
 * index that must itself be signed and list the digest. Null when this does not apply (no tag, the tag is not an
 * index, the index does not list the digest); a verdict otherwise, `index` naming the digest that was verified.
 *
 * A bare platform digest (`name@sha256:<platform>`) is deliberately not covered by its index's signature: nothing in
 * a platform manifest names the index it came through (any number of indexes may list it), and `cosign verify` of
 * such a digest looks only at `sha256-<platform>.sig` and answers "no signatures found". cosign's answer is to sign
 * each platform too (`cosign sign --recursive`), which admission honours like any signature of the digest itself.
 */
export async function verifyThroughIndex(
  db: Executor,
  registry: RegistrySignatureSource,
  opts: {
    accountId: string;
    ref: ImageReference;
    digest: string;
    witnessId: string;
    keys: WitnessKeys;
    signal: AbortSignal;
  },
): Promise<ImageVerdict | null> {
  const { ref, digest } = opts;
  if (ref.tag === null || ref.digest === null) return null;
  const resolved = await registry.resolveTag(opts.accountId, ref, ref.tag, opts.signal);
  if (!resolved.ok)
    return {
      ok: false,
      unavailable: true,
      reason: `the image index behind tag "${ref.tag}" could not be read: ${resolved.error.message}`,
    };
  const index = resolved.value;
  if (!index || index.digest === digest || !index.platforms.includes(digest)) return null;
  const stored = (await storedCandidates(db, { witnessId: opts.witnessId, digests: [index.digest] })).get(
    index.digest,
  );
  let verdict = verifyImageSignatures({ digest: index.digest, keys: opts.keys, candidates: stored ?? [] });
  if (!verdict.ok) {
    const found = await registry.signatures(opts.accountId, ref, index.digest, opts.signal);
    if (!found.ok)
      return {
        ok: false,
        unavailable: true,
        reason: `the registry could not be asked for the signatures of image index ${index.digest}: ${found.error.message}`,
      };
    verdict = verifyImageSignatures({
      digest: index.digest,
      keys: opts.keys,
      candidates: [...(stored ?? []), ...found.value],
    });
  }
  if (!verdict.ok)
    return { ok: false, reason: `image index ${index.digest} (tag "${ref.tag}"): ${verdict.reason}` };
  return {
    ok: true,
    keyVersion: verdict.keyVersion,
    digest,
    index: index.digest,
  };
}
