import {
  appendCosignSignature,
  cosignSignatureTag,
  OCI_CONFIG_MEDIA_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
  parseImageManifest,
  signatureLayers,
} from '../../domain/signature/cosign-registry.js';
import { RegistryError, type RegistryClient } from './registry-client.js';
import type { CandidateSignature } from './verify-signatures.js';

export interface SignatureImage {
  /** Repository path inside the registry (`team/app`). */
  repository: string;
  digest: string;
}

/**
 * Writes one signature the way `cosign sign` does: read the `.sig` manifest (none yet is fine), append a layer,
 * upload the payload and the new config, PUT the manifest under the tag. Existing signatures stay; the same
 * signature twice is written once. Like cosign's, this read-modify-write has no lock: two signers racing on one
 * digest may lose one layer, which a second signing restores.
 */
export async function writeCosignSignature(
  client: RegistryClient,
  image: SignatureImage,
  signature: { payload: Buffer; signatureBase64: string },
  opts: { signal?: AbortSignal } = {},
): Promise<{ tag: string; manifestDigest: string; duplicate: boolean }> {
  const tag = cosignSignatureTag(image.digest);
  const current = await client.manifest(image.repository, tag, opts);
  const existing = current ? parseImageManifest(current.bytes) : null;
  if (current && !existing)
    throw new RegistryError(
      'protocol',
      `${image.repository}:${tag} is not an image manifest; not overwriting it`,
    );
  const parts = appendCosignSignature(existing, {
    payload: signature.payload,
    signatureBase64: signature.signatureBase64,
  });
  if (parts.duplicate && current) return { tag, manifestDigest: current.digest, duplicate: true };
  await client.pushBlob(image.repository, signature.payload, opts);
  await client.pushBlob(image.repository, Buffer.from(parts.config), opts);
  const manifestDigest = await client.putManifest(
    image.repository,
    tag,
    Buffer.from(parts.manifest),
    OCI_MANIFEST_MEDIA_TYPE,
    opts,
  );
  return { tag, manifestDigest, duplicate: parts.duplicate };
}

/** Config media types cosign has written for `.sig` images (OCI by default, Docker with COSIGN_DOCKER_MEDIA_TYPES). */
const SIGNATURE_CONFIG_TYPES = new Set([
  OCI_CONFIG_MEDIA_TYPE,
  'application/vnd.docker.container.image.v1+json',
]);

/**
 * The simple-signing signatures next to an image (`.sig` tag); an empty list when there is no such tag. Each
 * payload blob is fetched and checked against its layer digest; which key made them is for the verifier to find.
 */
export async function readCosignSignatures(
  client: RegistryClient,
  image: SignatureImage,
  opts: { signal?: AbortSignal } = {},
): Promise<CandidateSignature[]> {
  const answer = await client.manifest(image.repository, cosignSignatureTag(image.digest), opts);
  if (!answer) return [];
  const manifest = parseImageManifest(answer.bytes);
  if (!manifest || !SIGNATURE_CONFIG_TYPES.has(manifest.config.mediaType)) return [];
  const layers = signatureLayers(manifest);
  return Promise.all(
    layers.map(async (l) => ({
      keyVersion: null,
      payload: await client.blob(image.repository, l.digest, opts),
      signature: Buffer.from(l.signature, 'base64'),
    })),
  );
}
