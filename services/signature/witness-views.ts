import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { oldestFirst } from '../../db/id-pages.js';
import { signatureWitnesses } from '../../db/schema/signature.js';
import { notFound } from '../../domain/errors.js';
import type { Services } from '../../platform/services.js';
import { keyProviderFor, type KeyVersionInfo } from './key-provider.js';

export type WitnessRow = typeof signatureWitnesses.$inferSelect;
export interface WitnessWithVersions extends WitnessRow {
  versions: KeyVersionInfo[];
}

/** What the witness reads need: the database and the key provider's configuration. */
export type WitnessServices = Pick<Services, 'db' | 'secrets' | 'config'>;

/** What an audit row or an API response may say about a key version (public facts only). */
export const keyVersionSummary = (v: KeyVersionInfo) => ({
  version: v.version,
  status: v.status,
  fingerprint: v.fingerprint,
});

/** One witness of the account with its key versions; another account's is not found. */
export async function getWitness(
  services: WitnessServices,
  opts: { accountId: string; witnessId: string },
): Promise<WitnessWithVersions> {
  const [row] = await services.db
    .select()
    .from(signatureWitnesses)
    .where(and(eq(signatureWitnesses.accountId, opts.accountId), eq(signatureWitnesses.id, opts.witnessId)));
  if (!row) throw notFound('witness');
  return {
    ...row,
    versions: await keyProviderFor(services).listVersions(services.db, { witnessId: row.id }),
  };
}

/** A witness's public key as PEM (`cosign verify --key`): the current version unless `version` names another. */
export async function getWitnessPublicKey(
  services: WitnessServices,
  opts: { accountId: string; witnessId: string; version?: number },
): Promise<{ witness: WitnessWithVersions; version: number; pem: string }> {
  const witness = await getWitness(services, opts);
  const version = opts.version ?? witness.currentVersion;
  const key = witness.versions.find((v) => v.version === version);
  if (!key) throw notFound(`key version ${version}`);
  return { witness, version, pem: key.publicKeyPem };
}

export async function listWitnesses(
  services: WitnessServices,
  opts: { accountId: string; after?: string; limit: number },
): Promise<WitnessWithVersions[]> {
  const provider = keyProviderFor(services);
  const rows = await oldestFirst(services.db, signatureWitnesses, opts);
  return Promise.all(
    rows.map(async (r) => ({
      ...r,
      versions: await provider.listVersions(services.db, { witnessId: r.id }),
    })),
  );
}

/** The witness row, locked for the rest of the transaction; another account's is not found. */
export async function lockWitness(tx: Executor, accountId: string, witnessId: string): Promise<WitnessRow> {
  const [row] = await tx
    .select()
    .from(signatureWitnesses)
    .where(and(eq(signatureWitnesses.accountId, accountId), eq(signatureWitnesses.id, witnessId)))
    .for('update');
  if (!row) throw notFound('witness');
  return row;
}

/** The witness row of the account (without its key versions); another account's is not found. */
export async function findWitness(db: Executor, accountId: string, witnessId: string): Promise<WitnessRow> {
  const [row] = await db
    .select()
    .from(signatureWitnesses)
    .where(and(eq(signatureWitnesses.accountId, accountId), eq(signatureWitnesses.id, witnessId)));
  if (!row) throw notFound('witness');
  return row;
}
