import { recordAudit } from '../../db/audit.js';
import { VigilError } from '../../domain/errors.js';
import type { Database } from '../../db/client.js';
import { parseDigestReference } from '../../domain/signature/image-reference.js';
import { REGISTRY_REQUEST_TIMEOUT_MS } from '../../domain/signature/registry-rules.js';
import { RegistryError } from './registry-client.js';
import type { RegistrySignatureSource } from './registry-source.js';
import { writeCosignSignature } from './registry-signatures.js';
import type { Actor } from './actor.js';

export type RegistryPushStatus = 'pushed' | 'present' | 'failed' | 'skipped';

export interface RegistryPush {
  status: RegistryPushStatus;
  /** `registry/repository:sha256-<hex>.sig` */
  location: string | null;
  reason: string | null;
}

/** Writing one signature is a handful of requests (read tag, two blobs, manifest): each has its own timeout. */
const PUSH_DEADLINE_MS = 6 * REGISTRY_REQUEST_TIMEOUT_MS;

/**
 * Puts a signature Vigil made next to its image in the registry, as `cosign sign` would, so that cosign, Kyverno
 * and policy-controller find it too. A registry that refuses or is down does not undo the signature (Vigil keeps
 * it and admission finds it there); the answer says what happened, and a repeated signing request tries again.
 */
export async function pushSignatureToRegistry(
  db: Database,
  source: RegistrySignatureSource,
  opts: Actor & { signatureId: string; image: string; payload: string; signatureBase64: string },
): Promise<RegistryPush> {
  const parsed = parseDigestReference(opts.image);
  if (!parsed.ok) return { status: 'skipped', location: null, reason: parsed.reason };
  const { ref } = parsed;
  try {
    const client = await source.client(opts.accountId, ref.registry);
    const written = await writeCosignSignature(
      client,
      { repository: ref.repository, digest: ref.digest },
      { payload: Buffer.from(opts.payload, 'utf8'), signatureBase64: opts.signatureBase64 },
      { signal: AbortSignal.timeout(PUSH_DEADLINE_MS) },
    );
    const location = `${ref.name}:${written.tag}`;
    source.forgetSignatures(opts.accountId, ref, ref.digest);
    if (written.duplicate) return { status: 'present', location, reason: null };
    await recordAudit(db, {
      ...opts,
      action: 'signature.registry.push',
      targetType: 'signature_image_signature',
      targetId: opts.signatureId,
      after: { location, manifestDigest: written.manifestDigest },
    });
    return { status: 'pushed', location, reason: null };
  } catch (err) {
    // The registry could not be written (down, refused), or cosign's layout refuses one more signature there: Vigil
    // keeps the signature either way and the answer says why the registry does not have it.
    if (!(err instanceof RegistryError) && !(err instanceof VigilError && err.isRule)) throw err;
    return { status: 'failed', location: null, reason: err.message };
  }
}
