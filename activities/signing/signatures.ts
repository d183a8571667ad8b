import { and, eq, inArray } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import type { Database, Executor } from '../../db/client.js';
import { imageSignatures, signatureKeyVersions, signatureWitnesses } from '../../db/schema/signature.js';
import { buildCosignPayload } from '../../domain/signature/cosign-payload.js';
import {
  parseDigestReference,
  parseImageReference,
  type DigestReference,
} from '../../domain/signature/image-reference.js';
import { ADMISSION_REGISTRY_DEADLINE_MS } from '../../domain/signature/registry-rules.js';
import type { ImageVerdict } from '../../domain/signature/admission-review.js';
import { KmsError } from './aws-kms.js';
import type { KeyProvider } from './key-provider.js';
import { pushSignatureToRegistry, type RegistryPush } from './registry-push.js';
import type { RegistrySignatureSource } from './registry-source.js';
import { afterCommitNote, bumpSignatureGeneration } from './state.js';
import {
  publicKeyObject,
  verifyImageSignatures,
  type CandidateSignature,
  type WitnessKeys,
} from './verify.js';
import { SigningRuleError, type Actor } from './witnesses.js';

export type ImageSignatureRow = typeof imageSignatures.$inferSelect;

function digestRef(image: string): DigestReference {
  const parsed = parseDigestReference(image);
  if (!parsed.ok) throw new SigningRuleError('unprocessable', parsed.reason);
  return parsed.ref;
}

async function activeWitness(db: Executor, accountId: string, witnessId: string) {
  const [witness] = await db
    .select()
    .from(signatureWitnesses)
    .where(and(eq(signatureWitnesses.accountId, accountId), eq(signatureWitnesses.id, witnessId)));
  if (!witness) throw new SigningRuleError('not_found', 'witness not found');
  return witness;
}

/**
 * Signs `registry/repo@sha256:…` with the witness's current key version: cosign's payload, RSASSA-PKCS1-v1_5 over
 * its SHA-256. Idempotent per (witness, key version, image): a repeat returns the stored signature.
 */
export async function signImage(
  db: Database,
  provider: KeyProvider,
  opts: Actor & { witnessId: string; image: string; registry?: RegistrySignatureSource },
): Promise<{ signature: ImageSignatureRow; created: boolean; registry: RegistryPush }> {
  const stored = await storeSignature(db, provider, opts);
  const registry: RegistryPush = opts.registry
    ? await pushSignatureToRegistry(db, opts.registry, {
        ...opts,
        signatureId: stored.signature.id,
        image: `${stored.signature.repository}@${stored.signature.digest}`,
        payload: stored.signature.payload,
        signatureBase64: stored.signature.signature,
      })
    : { status: 'skipped', location: null, reason: 'not asked to write to the registry' };
  return { ...stored, registry };
}

async function storeSignature(
  db: Database,
  provider: KeyProvider,
  opts: Actor & { witnessId: string; image: string },
): Promise<{ signature: ImageSignatureRow; created: boolean }> {
  const ref = digestRef(opts.image);
  const witness = await activeWitness(db, opts.accountId, opts.witnessId);
  if (witness.status !== 'active')
    throw new SigningRuleError('unprocessable', `witness "${witness.name}" is disabled`);
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
    throw new SigningRuleError(
      'unprocessable',
      `key version ${version} of witness "${witness.name}" is disabled; rotate the witness to sign`,
    );
  }
  if (witness.keyOrigin === 'publicKey')
    throw new SigningRuleError(
      'unprocessable',
      `witness "${witness.name}" holds a public key only; it verifies images signed elsewhere and signs nothing`,
    );
  const payload = buildCosignPayload({ image: ref });
  const sig = await provider
    .sign(db, { witnessId: witness.id, version, payload: Buffer.from(payload, 'utf8') })
    .catch((err: unknown) => {
      // The KMS holding the key did not sign: a dependency failure the caller can retry, not a Vigil fault.
      if (err instanceof KmsError)
        throw new SigningRuleError(err.unavailable ? 'unavailable' : 'unprocessable', err.message);
      throw err;
    });
  return afterCommitNote(
    opts.accountId,
    db.transaction(async (tx) => {
      const [row] = await tx
        .insert(imageSignatures)
        .values({
          accountId: opts.accountId,
          witnessId: witness.id,
          keyVersion: version,
          repository: ref.name,
          digest: ref.digest,
          payload,
          signature: sig.toString('base64'),
          createdBy: opts.actor,
        })
        .onConflictDoNothing()
        .returning();
      if (!row) {
        const [raced] = await tx.select().from(imageSignatures).where(where);
        if (!raced)
          throw new SigningRuleError('conflict', 'the signature was created and removed concurrently; retry');
        return { signature: raced, created: false };
      }
      // New signatures change what admission would decide for this digest.
      await bumpSignatureGeneration(tx, opts.accountId);
      await recordAudit(tx, {
        ...opts,
        action: 'signature.sign',
        targetType: 'signature_image_signature',
        targetId: row.id,
        after: { witnessId: witness.id, keyVersion: version, image: `${ref.name}@${ref.digest}` },
      });
      return { signature: row, created: true };
    }),
  );
}

export async function getImageSignature(db: Executor, opts: { accountId: string; id: string }) {
  const [row] = await db
    .select()
    .from(imageSignatures)
    .where(and(eq(imageSignatures.accountId, opts.accountId), eq(imageSignatures.id, opts.id)));
  return row ?? null;
}

/** Public keys of a witness's versions, split by status, for verification. */
export async function loadWitnessKeys(
  db: Executor,
  witness: { id: string; name: string },
): Promise<WitnessKeys> {
  const rows = await db
    .select({
      version: signatureKeyVersions.version,
      status: signatureKeyVersions.status,
      pem: signatureKeyVersions.publicKeyPem,
    })
    .from(signatureKeyVersions)
    .where(eq(signatureKeyVersions.witnessId, witness.id));
  return {
    witnessName: witness.name,
    enabled: new Map(
      rows.filter((r) => r.status === 'enabled').map((r) => [r.version, publicKeyObject(r.pem)]),
    ),
    disabledVersions: rows.filter((r) => r.status === 'disabled').map((r) => r.version),
  };
}

/** Vigil's stored signatures of a witness for some digests, by digest (one query). */
export async function storedCandidates(
  db: Executor,
  opts: { witnessId: string; digests: string[] },
): Promise<Map<string, CandidateSignature[]>> {
  const out = new Map<string, CandidateSignature[]>();
  if (opts.digests.length === 0) return out;
  const rows = await db
    .select({
      digest: imageSignatures.digest,
      keyVersion: imageSignatures.keyVersion,
      payload: imageSignatures.payload,
      signature: imageSignatures.signature,
    })
    .from(imageSignatures)
    .where(
      and(
        eq(imageSignatures.witnessId, opts.witnessId),
        inArray(imageSignatures.digest, [...new Set(opts.digests)]),
      ),
    );
  for (const r of rows) {
    const list = out.get(r.digest) ?? [];
    list.push({
      keyVersion: r.keyVersion,
      payload: Buffer.from(r.payload, 'utf8'),
      signature: Buffer.from(r.signature, 'base64'),
    });
    out.set(r.digest, list);
  }
  return out;
}

/**
 * Ad-hoc verification: is this image validly signed by the witness? With `payload` and `signature` (base64, as
 * found next to an image in a registry) those are checked instead. Otherwise Vigil's stored signatures, then the
 * cosign signatures in the image's registry; a tag is resolved there to the digest that is verified.
 */
export async function verifyImage(
  db: Executor,
  opts: {
    accountId: string;
    witnessId: string;
    image: string;
    payload?: string;
    signature?: string;
    registry?: RegistrySignatureSource;
  },
): Promise<ImageVerdict & { image: string; witnessId: string }> {
  const witness = await activeWitness(db, opts.accountId, opts.witnessId);
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
    const tagged = parseDigestReference(opts.image);
    if (!opts.registry) return fail(tagged.ok ? 'not pinned by digest' : tagged.reason);
    const tag = ref.tag ?? 'latest';
    const resolved = await opts.registry.resolveTag(opts.accountId, ref, tag, signal);
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
  if (!verdict.ok && opts.registry) {
    const found = await opts.registry.signatures(opts.accountId, ref, digest, signal);
    verdict = found.ok
      ? verifyImageSignatures({ digest, keys, candidates: [...stored, ...found.value] })
      : {
          ok: false,
          unavailable: true,
          reason: `${verdict.reason}; the registry could not be asked for cosign signatures: ${found.error.message}`,
        };
  }
  if (verdict.ok && warnings.length > 0) verdict = { ...verdict, warnings };
  return { ...verdict, digest, image, witnessId: witness.id };
}
