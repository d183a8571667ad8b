import { and, eq, gt, sql } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import type { Database, Executor } from '../../db/client.js';
import { signatureWitnesses } from '../../db/schema/signature.js';
import type { TWitnessKeySpec, TWitnessPurpose } from '../../domain/signature/rules.js';
import { KmsError } from './aws-kms.js';
import {
  checkKeySource,
  KeyProviderError,
  keyOriginOf,
  providerNameOf,
  type KeyProvider,
  type KeySource,
  type KeyVersionInfo,
} from './key-provider.js';
import { afterCommitNote, bumpSignatureGeneration } from './state.js';

export type WitnessRow = typeof signatureWitnesses.$inferSelect;
export interface WitnessWithVersions extends WitnessRow {
  versions: KeyVersionInfo[];
}

export interface Actor {
  accountId: string;
  actor: string;
  requestId?: string | null;
}

export class SigningRuleError extends Error {
  constructor(
    readonly kind: 'conflict' | 'unprocessable' | 'not_found' | 'unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'SigningRuleError';
  }
}

/** What an audit row or an API response may say about a key version (public facts only). */
export const keyVersionSummary = (v: KeyVersionInfo) => ({
  version: v.version,
  status: v.status,
  fingerprint: v.fingerprint,
});

/** Key provider failures the caller can act on become 422 (wrong key) or 503 (KMS down); others stay faults. */
async function keyRules<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof KmsError)
      throw new SigningRuleError(err.unavailable ? 'unavailable' : 'unprocessable', err.message);
    if (err instanceof KeyProviderError) throw new SigningRuleError('unprocessable', err.message);
    throw err;
  }
}

export async function createWitness(
  db: Database,
  provider: KeyProvider,
  opts: Actor & {
    name: string;
    description: string;
    keySpec: TWitnessKeySpec;
    purpose: TWitnessPurpose;
    source?: KeySource;
  },
): Promise<WitnessWithVersions> {
  const source = opts.source ?? { type: 'generate' };
  const invalid = checkKeySource(source);
  if (invalid) throw new SigningRuleError('unprocessable', invalid);
  const purpose: TWitnessPurpose = source.type === 'publicKey' ? 'VERIFY' : opts.purpose;
  if (purpose === 'VERIFY' && source.type !== 'publicKey')
    throw new SigningRuleError('unprocessable', 'purpose VERIFY is for witnesses made from a public key');
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(signatureWitnesses)
      .values({
        accountId: opts.accountId,
        name: opts.name,
        description: opts.description,
        keySpec: opts.keySpec,
        purpose,
        provider: providerNameOf(source),
        keyOrigin: keyOriginOf(source),
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new SigningRuleError('conflict', `a witness named "${opts.name}" exists`);
    const key = await keyRules(
      provider.createKey(tx, {
        accountId: opts.accountId,
        witnessId: row.id,
        version: 1,
        keySpec: opts.keySpec,
        source,
      }),
    );
    await recordAudit(tx, {
      ...opts,
      action: 'signature.witness.create',
      targetType: 'signature_witness',
      targetId: row.id,
      after: { ...row, versions: [keyVersionSummary(key)] },
    });
    return { ...row, versions: [key] };
  });
}

export async function getWitness(
  db: Executor,
  provider: KeyProvider,
  opts: { accountId: string; witnessId: string },
): Promise<WitnessWithVersions | null> {
  const [row] = await db
    .select()
    .from(signatureWitnesses)
    .where(and(eq(signatureWitnesses.accountId, opts.accountId), eq(signatureWitnesses.id, opts.witnessId)));
  if (!row) return null;
  return { ...row, versions: await provider.listVersions(db, { witnessId: row.id }) };
}

export async function listWitnesses(
  db: Executor,
  provider: KeyProvider,
  opts: { accountId: string; after?: string; limit: number },
): Promise<WitnessWithVersions[]> {
  const rows = await db
    .select()
    .from(signatureWitnesses)
    .where(
      and(
        eq(signatureWitnesses.accountId, opts.accountId),
        opts.after ? gt(signatureWitnesses.id, opts.after) : undefined,
      ),
    )
    .orderBy(signatureWitnesses.id)
    .limit(opts.limit + 1);
  return Promise.all(
    rows.map(async (r) => ({ ...r, versions: await provider.listVersions(db, { witnessId: r.id }) })),
  );
}

async function lockWitness(tx: Executor, accountId: string, witnessId: string): Promise<WitnessRow> {
  const [row] = await tx
    .select()
    .from(signatureWitnesses)
    .where(and(eq(signatureWitnesses.accountId, accountId), eq(signatureWitnesses.id, witnessId)))
    .for('update');
  if (!row) throw new SigningRuleError('not_found', 'witness not found');
  return row;
}

/** A new key version becomes current; older enabled versions keep verifying until they are disabled. */
export async function rotateWitnessKey(
  db: Database,
  provider: KeyProvider,
  opts: Actor & { witnessId: string },
): Promise<WitnessWithVersions> {
  return afterCommitNote(
    opts.accountId,
    db.transaction(async (tx) => {
      const witness = await lockWitness(tx, opts.accountId, opts.witnessId);
      if (witness.status !== 'active')
        throw new SigningRuleError('unprocessable', 'the witness is disabled; it cannot rotate');
      // Rotation makes the next key where the first came from; a key brought from outside cannot be made here.
      if (witness.keyOrigin === 'imported' || witness.keyOrigin === 'publicKey')
        throw new SigningRuleError(
          'unprocessable',
          `witness "${witness.name}" uses a key brought from outside (${witness.keyOrigin}); create a new witness for the new key`,
        );
      const versions = await provider.listVersions(tx, { witnessId: witness.id });
      const next = Math.max(0, ...versions.map((v) => v.version)) + 1;
      const key = await keyRules(
        provider.createKey(tx, {
          accountId: opts.accountId,
          witnessId: witness.id,
          version: next,
          keySpec: witness.keySpec,
          source: witness.keyOrigin === 'kms' ? { type: 'awsKms' } : { type: 'generate' },
        }),
      );
      const [updated] = await tx
        .update(signatureWitnesses)
        .set({ currentVersion: next })
        .where(eq(signatureWitnesses.id, witness.id))
        .returning();
      await bumpSignatureGeneration(tx, opts.accountId);
      await recordAudit(tx, {
        ...opts,
        action: 'signature.witness.rotate',
        targetType: 'signature_witness',
        targetId: witness.id,
        before: { currentVersion: witness.currentVersion },
        after: { currentVersion: next, created: keyVersionSummary(key) },
      });
      return { ...(updated ?? witness), versions: [...versions, key] };
    }),
  );
}

/** Disables one key version (idempotent); returns whether it was enabled before this call. */
export async function disableKeyVersion(
  db: Database,
  provider: KeyProvider,
  opts: Actor & { witnessId: string; version: number },
): Promise<{ witness: WitnessWithVersions; changed: boolean }> {
  return afterCommitNote(
    opts.accountId,
    db.transaction(async (tx) => {
      const witness = await lockWitness(tx, opts.accountId, opts.witnessId);
      const versions = await provider.listVersions(tx, { witnessId: witness.id });
      const target = versions.find((v) => v.version === opts.version);
      if (!target) throw new SigningRuleError('not_found', `key version ${opts.version} not found`);
      const changed = target.status === 'enabled';
      if (changed) {
        await provider.disable(tx, { witnessId: witness.id, version: opts.version });
        await bumpSignatureGeneration(tx, opts.accountId);
        await recordAudit(tx, {
          ...opts,
          action: 'signature.key_version.disable',
          targetType: 'signature_witness',
          targetId: witness.id,
          before: keyVersionSummary(target),
          after: { ...keyVersionSummary(target), status: 'disabled' },
        });
      }
      return {
        witness: { ...witness, versions: await provider.listVersions(tx, { witnessId: witness.id }) },
        changed,
      };
    }),
  );
}

/** Disables the witness and every key version of it (idempotent). */
export async function disableWitness(
  db: Database,
  provider: KeyProvider,
  opts: Actor & { witnessId: string },
): Promise<{ witness: WitnessWithVersions; changed: boolean }> {
  return afterCommitNote(
    opts.accountId,
    db.transaction(async (tx) => {
      const witness = await lockWitness(tx, opts.accountId, opts.witnessId);
      const changed = witness.status === 'active';
      if (changed) {
        for (const v of await provider.listVersions(tx, { witnessId: witness.id })) {
          if (v.status === 'enabled')
            await provider.disable(tx, { witnessId: witness.id, version: v.version });
        }
        await tx
          .update(signatureWitnesses)
          .set({ status: 'disabled', disabledAt: sql`now()` })
          .where(eq(signatureWitnesses.id, witness.id));
        await bumpSignatureGeneration(tx, opts.accountId);
        await recordAudit(tx, {
          ...opts,
          action: 'signature.witness.disable',
          targetType: 'signature_witness',
          targetId: witness.id,
          before: { status: witness.status },
          after: { status: 'disabled' },
        });
      }
      const [row] = await tx.select().from(signatureWitnesses).where(eq(signatureWitnesses.id, witness.id));
      return {
        witness: {
          ...(row ?? witness),
          versions: await provider.listVersions(tx, { witnessId: witness.id }),
        },
        changed,
      };
    }),
  );
}
