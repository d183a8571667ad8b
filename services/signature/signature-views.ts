import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { oldestFirst } from '../../db/id-pages.js';
import { imageSignatures, signatureKeyVersions, trustedImages } from '../../db/schema/signature.js';
import { notFound } from '../../domain/errors.js';
import { publicKeyObject, type CandidateSignature, type WitnessKeys } from './verify-signatures.js';

export type ImageSignatureRow = typeof imageSignatures.$inferSelect;
export type TrustedImageRow = typeof trustedImages.$inferSelect;

/** One signature Vigil made for the account; another account's is not found. */
export async function getImageSignature(
  db: Executor,
  opts: { accountId: string; id: string },
): Promise<ImageSignatureRow> {
  const [row] = await db
    .select()
    .from(imageSignatures)
    .where(and(eq(imageSignatures.accountId, opts.accountId), eq(imageSignatures.id, opts.id)));
  if (!row) throw notFound('signature');
  return row;
}

/** Images admission verified (labelled Trusted Image); `all` includes those whose label was revoked. */
export async function listTrustedImages(
  db: Executor,
  opts: { accountId: string; all: boolean; witnessId?: string; after?: string; limit: number },
): Promise<TrustedImageRow[]> {
  return oldestFirst(
    db,
    trustedImages,
    opts,
    opts.all ? undefined : isNotNull(trustedImages.label),
    opts.witnessId ? eq(trustedImages.witnessId, opts.witnessId) : undefined,
  );
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
