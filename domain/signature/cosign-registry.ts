import { createHash } from 'node:crypto';
import { unprocessable } from '../errors.js';
import { SIMPLE_SIGNING_MEDIA_TYPE } from './cosign-payload.js';
import { DIGEST_PATTERN } from './image-reference.js';

/**
 * How cosign keeps signatures in an image's registry (sigstore/cosign `pkg/oci/remote`, `pkg/oci/empty`,
 * `pkg/oci/static`): a manifest tagged `sha256-<hex>.sig` in the image's repository, one layer per signature whose
 * blob is the simple-signing payload and whose annotation holds the base64 signature; the config is
 * go-containerregistry's empty image config with one `diff_ids`/`history` entry per layer.
 */

export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';
export const DOCKER_MANIFEST_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_CONFIG_MEDIA_TYPE = 'application/vnd.docker.container.image.v1+json';
/** distribution 2.8 answers 404 to a manifest request whose Accept lacks the stored type: ask for all four. */
export const MANIFEST_ACCEPT = [
  OCI_MANIFEST_MEDIA_TYPE,
  OCI_INDEX_MEDIA_TYPE,
  DOCKER_MANIFEST_MEDIA_TYPE,
  DOCKER_LIST_MEDIA_TYPE,
].join(', ');

/** cosign `static.SignatureAnnotationKey`. */
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
/** cosign `mutate.AppendSignatures` refuses more layers than this on one `.sig` image. */
export const COSIGN_MAX_SIGNATURE_LAYERS = 1000;

/** cosign `remote.SignatureTag`: `sha256:<hex>` → tag `sha256-<hex>.sig` in the same repository. */
export function cosignSignatureTag(digest: string): string {
  if (!DIGEST_PATTERN.test(digest)) throw new Error(`"${digest}" is not a sha256 digest`);
  return `${digest.replace(':', '-')}.sig`;
}

export const sha256Digest = (bytes: Buffer | string) =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export interface Descriptor {
  mediaType: string;
  size: number;
  digest: string;
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** go-containerregistry's `empty.Image` config after appending `layers` uncompressed layers (233 bytes for one). */
export function cosignSignatureConfig(layerDigests: string[]): string {
  const zero = '"created":"0001-01-01T00:00:00Z"';
  return (
    `{"architecture":"",${zero},"history":[${layerDigests.map(() => `{${zero}}`).join(',')}],"os":"",` +
    `"rootfs":{"type":"layers","diff_ids":[${layerDigests.map((d) => JSON.stringify(d)).join(',')}]},"config":{}}`
  );
}

/** Go marshals map keys sorted by bytes; descriptors keep go-containerregistry's field order. */
function descriptorJson(d: Descriptor): string {
  const annotations = d.annotations
    ? `,"annotations":{${Object.keys(d.annotations)
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
        .map((k) => `${JSON.stringify(k)}:${JSON.stringify(d.annotations?.[k] ?? '')}`)
        .join(',')}}`
    : '';
  return `{"mediaType":${JSON.stringify(d.mediaType)},"size":${d.size},"digest":${JSON.stringify(d.digest)}${annotations}}`;
}

export interface SignatureManifestParts {
  /** The manifest bytes to PUT under the `.sig` tag. */
  manifest: string;
  config: string;
  configDigest: string;
  /** Whether the signature was already there (cosign skips duplicates). */
  duplicate: boolean;
}

/**
 * The `.sig` manifest after appending one simple-signing layer to `existing` (null when the tag does not exist).
 * Existing layers are kept as they are (with any certificate or bundle annotations), so no signature is ever
 * dropped; an identical layer (same payload, same signature) is not added twice.
 */
export function appendCosignSignature(
  existing: ImageManifest | null,
  layer: { payload: Buffer; signatureBase64: string },
): SignatureManifestParts {
  const layers = [...(existing?.layers ?? [])];
  const digest = sha256Digest(layer.payload);
  const duplicate = layers.some(
    (l) => l.digest === digest && l.annotations?.[COSIGN_SIGNATURE_ANNOTATION] === layer.signatureBase64,
  );
  if (!duplicate) {
    if (layers.length >= COSIGN_MAX_SIGNATURE_LAYERS)
      throw unprocessable(
        `the .sig image already holds ${COSIGN_MAX_SIGNATURE_LAYERS} signatures (cosign's limit)`,
      );
    layers.push({
      mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
      size: layer.payload.length,
      digest,
      annotations: { [COSIGN_SIGNATURE_ANNOTATION]: layer.signatureBase64 },
    });
  }
  const config = cosignSignatureConfig(layers.map((l) => l.digest));
  const configDigest = sha256Digest(config);
  const configDescriptor: Descriptor = {
    mediaType: OCI_CONFIG_MEDIA_TYPE,
    size: Buffer.byteLength(config),
    digest: configDigest,
  };
  const manifest =
    `{"schemaVersion":2,"mediaType":${JSON.stringify(OCI_MANIFEST_MEDIA_TYPE)},` +
    `"config":${descriptorJson(configDescriptor)},"layers":[${layers.map(descriptorJson).join(',')}]}`;
  return { manifest, config, configDigest, duplicate };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function readDescriptor(v: unknown): Descriptor | null {
  if (!isRecord(v)) return null;
  const { mediaType, size, digest, annotations } = v;
  if (typeof mediaType !== 'string' || typeof size !== 'number' || typeof digest !== 'string') return null;
  if (!DIGEST_PATTERN.test(digest) || !Number.isSafeInteger(size) || size < 0) return null;
  const out: Descriptor = { mediaType, size, digest };
  if (isRecord(annotations))
    out.annotations = Object.fromEntries(
      Object.entries(annotations).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
  return out;
}

/** An image manifest (OCI or Docker v2) from registry bytes, or null when it is something else. */
export function parseImageManifest(bytes: Buffer | string): ImageManifest | null {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString());
  } catch {
    return null;
  }
  if (!isRecord(doc) || doc.schemaVersion !== 2 || !Array.isArray(doc.layers)) return null;
  const config = readDescriptor(doc.config);
  const layers = doc.layers.map(readDescriptor);
  if (!config || layers.some((l) => l === null)) return null;
  return {
    schemaVersion: 2,
    ...(typeof doc.mediaType === 'string' ? { mediaType: doc.mediaType } : {}),
    config,
    layers: layers.filter((l): l is Descriptor => l !== null),
  };
}

/** The platform manifests an image index (or Docker manifest list) names. */
export function parseIndexManifests(bytes: Buffer | string): string[] | null {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString());
  } catch {
    return null;
  }
  if (!isRecord(doc) || !Array.isArray(doc.manifests)) return null;
  return doc.manifests.map(readDescriptor).flatMap((d) => (d ? [d.digest] : []));
}

export const isIndexMediaType = (t: string) => t === OCI_INDEX_MEDIA_TYPE || t === DOCKER_LIST_MEDIA_TYPE;

/** The simple-signing layers of a `.sig` manifest that carry a signature annotation. */
export function signatureLayers(
  manifest: ImageManifest,
): { digest: string; size: number; signature: string }[] {
  return manifest.layers.flatMap((l) => {
    const signature = l.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
    return l.mediaType === SIMPLE_SIGNING_MEDIA_TYPE && signature
      ? [{ digest: l.digest, size: l.size, signature }]
      : [];
  });
}
