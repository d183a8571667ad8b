import type { DigestReference } from './image-reference.js';

/**
 * cosign's simple-signing payload, byte for byte as its Go marshaller writes it (sigstore
 * `pkg/signature/payload.Cosign.MarshalJSON` → `encoding/json.Marshal(SimpleContainerImage)`): struct fields in
 * declaration order (critical{identity, image, type}, optional), map keys sorted, `nil` optional as `null`, and Go's
 * string escaping (HTML-safe `\u003c\u003e\u0026`, `\u2028\u2029`).
 */

/** sigstore `payload.CosignSignatureType`: cosign verify rejects any other `critical.type`. */
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
/** OCI layer media type of a simple-signing signature (cosign `.sig` manifests). */
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';

const HEX = '0123456789abcdef';

/** One Go `encoding/json` string literal (Go ≥ 1.22 escaping, HTML escaping on, as `json.Marshal` does). */
export function goJsonString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (code < 0x20 || ch === '<' || ch === '>' || ch === '&') {
      out += `\\u00${HEX[code >> 4] ?? '0'}${HEX[code & 0xf] ?? '0'}`;
    } else if (code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16)}`;
    else if (code >= 0xd800 && code <= 0xdfff)
      out += '\\ufffd'; // a lone surrogate is invalid UTF-8 to Go
    else out += ch;
  }
  return `${out}"`;
}

/** Go sorts map keys by their UTF-8 bytes. */
function goSortedKeys(obj: Record<string, string>): string[] {
  return Object.keys(obj).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

export interface CosignPayloadInput {
  image: Pick<DigestReference, 'name' | 'digest'>;
  /** cosign `-a key=value` annotations; omitted or undefined marshals as `"optional":null`. */
  annotations?: Record<string, string>;
}

/** The exact payload text cosign would sign for this image (ASCII for every valid reference). */
export function buildCosignPayload(input: CosignPayloadInput): string {
  const { annotations } = input;
  const optional =
    annotations === undefined
      ? 'null'
      : `{${goSortedKeys(annotations)
          .map((k) => `${goJsonString(k)}:${goJsonString(annotations[k] ?? '')}`)
          .join(',')}}`;
  return (
    `{"critical":{"identity":{"docker-reference":${goJsonString(input.image.name)}},` +
    `"image":{"docker-manifest-digest":${goJsonString(input.image.digest)}},` +
    `"type":${goJsonString(COSIGN_SIGNATURE_TYPE)}},"optional":${optional}}`
  );
}

export type PayloadCheck =
  { ok: true; dockerReference: string; digest: string } | { ok: false; reason: string };

/**
 * What cosign checks in a payload it verifies: a simple-signing document of the cosign type whose manifest digest
 * is the admitted one. (`docker-reference` is informational to cosign, as here.)
 */
export function checkCosignPayload(payload: Buffer | string, expectedDigest: string): PayloadCheck {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'the payload is not JSON' };
  }
  const critical = (doc as { critical?: unknown } | null)?.critical as
    | {
        type?: unknown;
        image?: { 'docker-manifest-digest'?: unknown };
        identity?: { 'docker-reference'?: unknown };
      }
    | undefined;
  if (critical?.type !== COSIGN_SIGNATURE_TYPE) {
    return { ok: false, reason: `the payload is not a "${COSIGN_SIGNATURE_TYPE}"` };
  }
  const digest = critical.image?.['docker-manifest-digest'];
  if (digest !== expectedDigest) {
    return { ok: false, reason: `the payload signs digest ${String(digest)}, not ${expectedDigest}` };
  }
  const ref = critical.identity?.['docker-reference'];
  return { ok: true, dockerReference: typeof ref === 'string' ? ref : '', digest };
}

/** The cosign CLI lines that put a Vigil signature next to the image and check it (no Rekor entry exists). */
export function cosignCommands(opts: {
  image: Pick<DigestReference, 'name' | 'digest'>;
  signatureBase64: string;
}) {
  const image = `${opts.image.name}@${opts.image.digest}`;
  return {
    attach: `cosign attach signature --payload payload.json --signature ${opts.signatureBase64} ${image}`,
    verify: `cosign verify --key witness.pem --insecure-ignore-tlog ${image}`,
  };
}
