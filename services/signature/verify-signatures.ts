import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { checkCosignPayload } from '../../domain/signature/cosign-payload.js';
import type { ImageVerdict } from '../../domain/signature/admission-review.js';

export interface CandidateSignature {
  keyVersion: number | null;
  payload: Buffer;
  signature: Buffer;
}

export interface WitnessKeys {
  witnessName: string;
  /** Enabled key versions → public key. */
  enabled: Map<number, KeyObject>;
  disabledVersions: number[];
}

export function publicKeyObject(pem: string): KeyObject {
  return createPublicKey(pem);
}

/**
 * cosign's check of one image: some signature's payload names this digest with the cosign type, and its
 * RSASSA-PKCS1-v1_5/SHA-256 signature verifies over the exact payload bytes under an enabled key version.
 * A candidate without a key version (brought from outside) is tried under every enabled version.
 */
export function verifyImageSignatures(opts: {
  digest: string;
  keys: WitnessKeys;
  candidates: CandidateSignature[];
}): ImageVerdict {
  const { keys, digest } = opts;
  const witness = `witness "${keys.witnessName}"`;
  if (opts.candidates.length === 0) return { ok: false, reason: `no signature by ${witness} for ${digest}` };
  const reasons: string[] = [];
  for (const c of opts.candidates) {
    const versions = c.keyVersion === null ? [...keys.enabled.keys()] : [c.keyVersion];
    if (versions.length === 0) {
      reasons.push(`${witness} has no enabled key version`);
      continue;
    }
    if (c.keyVersion !== null && !keys.enabled.has(c.keyVersion)) {
      reasons.push(`signed by key version ${c.keyVersion} of ${witness}, which is disabled`);
      continue;
    }
    const payload = checkCosignPayload(c.payload, digest);
    if (!payload.ok) {
      reasons.push(payload.reason);
      continue;
    }
    for (const version of versions) {
      const key = keys.enabled.get(version);
      if (key && verify('sha256', c.payload, key, c.signature)) return { ok: true, keyVersion: version };
    }
    reasons.push(
      c.keyVersion === null
        ? `the signature does not verify under any enabled key version of ${witness} (payload or signature altered, or signed by another key)`
        : `the signature does not verify under key version ${c.keyVersion} of ${witness} (payload or signature altered)`,
    );
  }
  return { ok: false, reason: [...new Set(reasons)].join('; ') };
}
