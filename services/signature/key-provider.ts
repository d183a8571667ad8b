import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  privateEncrypt,
  constants,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { and, asc, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { signatureKeyVersions } from '../../db/schema/signature.js';
import type { TKeyVersionStatus, TWitnessKeySpec } from '../../domain/signature/rules.js';
import {
  WITNESS_RSA_BITS,
  type TKeyProviderName,
  type TWitnessKeyOrigin,
} from '../../domain/signature/witness-keys.js';
import type { SecretBox } from '../../platform/secrets.js';
import { errorMessage, unprocessable, VigilError } from '../../domain/errors.js';
import { createAwsKms, type KmsSigner } from './aws-kms.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Public facts about one key version; never the private key. */
export interface KeyVersionInfo {
  witnessId: string;
  version: number;
  status: TKeyVersionStatus;
  publicKeyPem: string;
  fingerprint: string;
  createdAt: Date;
  disabledAt: Date | null;
}

/**
 * Where a key version comes from: made here, an imported private key (sealed like made ones), only a public key
 * (verify only), or an AWS KMS key (an existing one by id, or a new one).
 */
export type KeySource =
  | { type: 'generate' }
  | { type: 'privateKey'; pem: string }
  | { type: 'publicKey'; pem: string }
  | { type: 'awsKms'; keyId?: string };

export const keyOriginOf = (source: KeySource): TWitnessKeyOrigin =>
  source.type === 'generate'
    ? 'generated'
    : source.type === 'privateKey'
      ? 'imported'
      : source.type === 'publicKey'
        ? 'publicKey'
        : 'kms';

export const providerNameOf = (source: KeySource): TKeyProviderName =>
  source.type === 'awsKms' ? 'awsKms' : 'builtin';

/**
 * Where witness keys live. Built-in keys are sealed in Postgres; AWS KMS keys stay in the KMS and only their id
 * and public key are stored. Private key material never leaves an implementation: callers get public keys and
 * signatures.
 */
export interface KeyProvider {
  readonly name: string;
  /** Creates version `version` of a witness's key (1 on witness creation, n+1 on rotation). */
  createKey(
    db: Executor,
    opts: {
      accountId: string;
      witnessId: string;
      version: number;
      keySpec: TWitnessKeySpec;
      source?: KeySource;
    },
  ): Promise<KeyVersionInfo>;
  publicKey(db: Executor, opts: { witnessId: string; version: number }): Promise<string | null>;
  /** RSASSA-PKCS1-v1_5 / SHA-256 over `payload` (like KMS `Sign` with `RSASSA_PKCS1_V1_5_SHA_256`). */
  sign(db: Executor, opts: { witnessId: string; version: number; payload: Buffer }): Promise<Buffer>;
  listVersions(db: Executor, opts: { witnessId: string }): Promise<KeyVersionInfo[]>;
  /** Disables a version for good; it signs nothing more and admission stops trusting it. */
  disable(db: Executor, opts: { witnessId: string; version: number }): Promise<KeyVersionInfo | null>;
}

/** DER prefix of a PKCS#1 DigestInfo for SHA-256 (RFC 8017 §9.2 note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** Binds a sealed private key to its row: moving it to another witness or version fails to decrypt. */
export const privateKeyAad = (witnessId: string, version: number) => `${witnessId}:${version}`;

export function publicKeyFingerprint(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}

const toInfo = (row: typeof signatureKeyVersions.$inferSelect): KeyVersionInfo => ({
  witnessId: row.witnessId,
  version: row.version,
  status: row.status,
  publicKeyPem: row.publicKeyPem,
  fingerprint: row.fingerprint,
  createdAt: row.createdAt,
  disabledAt: row.disabledAt,
});

function rsa2048(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'rsa' || key.asymmetricKeyDetails?.modulusLength !== WITNESS_RSA_BITS)
    throw unprocessable(`the ${what} is not an RSA-${WITNESS_RSA_BITS} key (witnesses use RSA_2048)`);
}

/** Checks an imported key before anything is stored; the reason is for the operator. */
export function checkKeySource(source: KeySource): string | null {
  try {
    if (source.type === 'privateKey') rsa2048(createPrivateKey(source.pem), 'private key');
    if (source.type === 'publicKey') rsa2048(createPublicKey(source.pem), 'public key');
    return null;
  } catch (err) {
    if (err instanceof VigilError) return err.message;
    return `the key is not a readable unencrypted PEM (PKCS#8, PKCS#1 or SubjectPublicKeyInfo): ${errorMessage(err)}`;
  }
}

/** The key pair for a new version: made here, or the imported one (private key as sealed PKCS#8). */
async function keyMaterial(
  source: KeySource,
  kms: () => KmsSigner,
  description: string,
): Promise<{ publicKeyPem: string; privateKeyPem: string | null; kmsKeyId: string | null }> {
  if (source.type === 'generate') {
    const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
      modulusLength: WITNESS_RSA_BITS,
      publicExponent: 0x10001,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    return { publicKeyPem: publicKey, privateKeyPem: privateKey, kmsKeyId: null };
  }
  if (source.type === 'privateKey') {
    const key = createPrivateKey(source.pem);
    rsa2048(key, 'private key');
    return {
      publicKeyPem: createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString(),
      privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
      kmsKeyId: null,
    };
  }
  if (source.type === 'publicKey') {
    const key = createPublicKey(source.pem);
    rsa2048(key, 'public key');
    return {
      publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString(),
      privateKeyPem: null,
      kmsKeyId: null,
    };
  }
  const k = source.keyId ? await kms().publicKey(source.keyId) : await kms().createKey(description);
  rsa2048(createPublicKey(k.publicKeyPem), 'KMS key');
  return { publicKeyPem: k.publicKeyPem, privateKeyPem: null, kmsKeyId: k.keyId };
}

/**
 * Witness keys in Postgres: RSA-2048 keys made with node:crypto or imported, private halves sealed with
 * AES-256-GCM under VIGIL_MASTER_KEY; public-key-only versions (verify only); and versions whose private key is an
 * AWS KMS key, signed through `kms` (its client is made on first use).
 */
export function createBuiltinKeyProvider(secrets: SecretBox, kms: () => KmsSigner = noKms): KeyProvider {
  return {
    name: 'builtin',
    async createKey(db, opts) {
      const material = await keyMaterial(
        opts.source ?? { type: 'generate' },
        kms,
        `Vigil witness ${opts.witnessId} key version ${opts.version}`,
      );
      const [row] = await db
        .insert(signatureKeyVersions)
        .values({
          accountId: opts.accountId,
          witnessId: opts.witnessId,
          version: opts.version,
          publicKeyPem: material.publicKeyPem,
          fingerprint: publicKeyFingerprint(material.publicKeyPem),
          sealedPrivateKey: material.privateKeyPem
            ? secrets.seal(material.privateKeyPem, privateKeyAad(opts.witnessId, opts.version))
            : null,
          kmsKeyId: material.kmsKeyId,
        })
        .returning();
      if (!row) throw new Error('the key version was not stored');
      return toInfo(row);
    },
    async publicKey(db, opts) {
      const [row] = await db
        .select({ pem: signatureKeyVersions.publicKeyPem })
        .from(signatureKeyVersions)
        .where(
          and(
            eq(signatureKeyVersions.witnessId, opts.witnessId),
            eq(signatureKeyVersions.version, opts.version),
          ),
        );
      return row?.pem ?? null;
    },
    async sign(db, opts) {
      const [row] = await db
        .select({
          status: signatureKeyVersions.status,
          sealed: signatureKeyVersions.sealedPrivateKey,
          kmsKeyId: signatureKeyVersions.kmsKeyId,
        })
        .from(signatureKeyVersions)
        .where(
          and(
            eq(signatureKeyVersions.witnessId, opts.witnessId),
            eq(signatureKeyVersions.version, opts.version),
          ),
        );
      if (!row) throw unprocessable(`key version ${opts.version} does not exist`);
      if (row.status !== 'enabled') throw unprocessable(`key version ${opts.version} is disabled`);
      if (row.kmsKeyId) return kms().sign(row.kmsKeyId, opts.payload);
      if (!row.sealed)
        throw unprocessable(`key version ${opts.version} is a public key only; it verifies, it cannot sign`);
      const digest = createHash('sha256').update(opts.payload).digest();
      const pem = secrets.open(row.sealed, privateKeyAad(opts.witnessId, opts.version));
      try {
        // PKCS#1 v1.5 signing of a precomputed digest: EMSA-PKCS1-v1_5 encoding of DigestInfo, then RSA with d.
        return privateEncrypt(
          { key: pem, padding: constants.RSA_PKCS1_PADDING },
          Buffer.concat([SHA256_DIGEST_INFO, digest]),
        );
      } finally {
        pem.fill(0);
      }
    },
    async listVersions(db, opts) {
      const rows = await db
        .select()
        .from(signatureKeyVersions)
        .where(eq(signatureKeyVersions.witnessId, opts.witnessId))
        .orderBy(asc(signatureKeyVersions.version));
      return rows.map(toInfo);
    },
    async disable(db, opts) {
      const where = and(
        eq(signatureKeyVersions.witnessId, opts.witnessId),
        eq(signatureKeyVersions.version, opts.version),
      );
      await db
        .update(signatureKeyVersions)
        .set({ status: 'disabled', disabledAt: new Date() })
        .where(and(where, eq(signatureKeyVersions.status, 'enabled')));
      const [row] = await db.select().from(signatureKeyVersions).where(where);
      return row ? toInfo(row) : null;
    },
  };
}

function noKms(): KmsSigner {
  throw unprocessable('no KMS is configured');
}

const providers = new WeakMap<SecretBox, KeyProvider>();

/** The provider for a set of services (one per secret box, so tests with their own keys stay apart). */
export function keyProviderFor(services: {
  secrets: SecretBox;
  config: { VIGIL_AWS_KMS_REGION: string; VIGIL_AWS_KMS_ENDPOINT?: string };
}): KeyProvider {
  let provider = providers.get(services.secrets);
  if (!provider) {
    let kms: KmsSigner | undefined;
    const { VIGIL_AWS_KMS_REGION: region, VIGIL_AWS_KMS_ENDPOINT: endpoint } = services.config;
    provider = createBuiltinKeyProvider(services.secrets, () => (kms ??= createAwsKms({ region, endpoint })));
    providers.set(services.secrets, provider);
  }
  return provider;
}
