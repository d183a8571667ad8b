import { and, eq, gt, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { signatureWitnesses, trustedImages } from '../../db/schema/signature.js';
import { recordAudit } from '../../db/audit.js';
import { loadWitnessKeys, storedCandidates } from './signature-views.js';
import { verifyImageSignatures } from './verify-signatures.js';

export interface RevocationScope {
  accountId: string;
  witnessId: string;
  /** A disabled key version, or null when the whole witness was disabled. */
  version: number | null;
}

export interface ReevaluationResult {
  kept: number;
  revoked: number;
  /** `repository@digest` of the images that lost the label (this batch). */
  revokedImages: string[];
}

/** Ids of labelled images that a key version (or any version of the witness) earned, one page at a time. */
export async function listImagesTrustedThrough(
  db: Executor,
  scope: RevocationScope & { afterId: string | null; limit: number },
): Promise<string[]> {
  const rows = await db
    .select({ id: trustedImages.id })
    .from(trustedImages)
    .where(
      and(
        eq(trustedImages.accountId, scope.accountId),
        eq(trustedImages.witnessId, scope.witnessId),
        isNotNull(trustedImages.label),
        scope.version === null ? undefined : eq(trustedImages.keyVersion, scope.version),
        scope.afterId ? gt(trustedImages.id, scope.afterId) : undefined,
      ),
    )
    .orderBy(trustedImages.id)
    .limit(scope.limit);
  return rows.map((r) => r.id);
}

/**
 * Re-verifies each image against the witness's keys as they are now: one still signed by an enabled version keeps
 * its label (and records that version); the others lose it, with the reason. Running it twice changes nothing more.
 */
export async function reevaluateTrustedImages(
  db: Executor,
  opts: RevocationScope & { ids: string[] },
): Promise<ReevaluationResult> {
  const result: ReevaluationResult = { kept: 0, revoked: 0, revokedImages: [] };
  if (opts.ids.length === 0) return result;
  const [witness] = await db
    .select()
    .from(signatureWitnesses)
    .where(and(eq(signatureWitnesses.accountId, opts.accountId), eq(signatureWitnesses.id, opts.witnessId)));
  if (!witness) return result;
  const keys = await loadWitnessKeys(db, witness);
  if (witness.status !== 'active') keys.enabled.clear();
  const rows = await db
    .select()
    .from(trustedImages)
    .where(and(eq(trustedImages.accountId, opts.accountId), inArray(trustedImages.id, opts.ids)));
  for (const row of rows) {
    const candidates =
      (await storedCandidates(db, { witnessId: witness.id, digests: [row.digest] })).get(row.digest) ?? [];
    const verdict = verifyImageSignatures({ digest: row.digest, keys, candidates });
    if (verdict.ok) {
      result.kept++;
      if (verdict.keyVersion !== row.keyVersion) {
        await db
          .update(trustedImages)
          .set({ keyVersion: verdict.keyVersion })
          .where(eq(trustedImages.id, row.id));
      }
      continue;
    }
    if (row.label === null) continue;
    await db
      .update(trustedImages)
      .set({ label: null, revokedAt: sql`now()`, revokedReason: verdict.reason })
      .where(eq(trustedImages.id, row.id));
    await recordAudit(db, {
      accountId: opts.accountId,
      actor: 'system:signature-revocation',
      action: 'signature.trusted_image.revoke',
      targetType: 'signature_trusted_image',
      targetId: row.id,
      before: { label: row.label, keyVersion: row.keyVersion },
      after: { label: null, reason: verdict.reason },
    });
    result.revoked++;
    result.revokedImages.push(`${row.repository}@${row.digest}`);
  }
  return result;
}

/** Page size of the revocation workflow: small payloads, one activity per page (DESIGN §3.5). */
export const REVOCATION_PAGE_SIZE = 100;
