import { createHash, createPublicKey, generateKeyPair, privateEncrypt, constants } from 'node:crypto';
import { promisify } from 'node:util';
import { and, asc, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { signatureKeyVersions } from '../../db/schema/signature.js';
import type { TKeyVersionStatus, TWitnessKeySpec } from '../../domain/signature/rules.js';
import type { SecretBox } from '../../platform/secrets.js';

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
 * Where witness keys live. The built-in provider keeps RSA keys sealed in Postgres; a KMS provider would keep
 * only a key id. Private key material never leaves an implementation: callers get public keys and signatures.
 */
export interface KeyProvider {
  readonly name: string;
  /** Creates version `version` of a witness's key (1 on witness creation, n+1 on rotation). */
  createKey(
    db: Executor,
    opts: { accountId: string; witnessId: string; version: number; keySpec: TWitnessKeySpec },
  ): Promise<KeyVersionInfo>;
  publicKey(db: Executor, opts: { witnessId: string; version: number }): Promise<string | null>;
  /** RSASSA-PKCS1-v1_5 over a SHA-256 digest (like KMS `AsymmetricSign` with `RSA_PKCS1_SHA_256`). */
  sign(db: Executor, opts: { witnessId: string; version: number; digest: Buffer }): Promise<Buffer>;
  listVersions(db: Executor, opts: { witnessId: string }): Promise<KeyVersionInfo[]>;
  /** Disables a version for good; it signs nothing more and admission stops trusting it. */
  disable(db: Executor, opts: { witnessId: string; version: number }): Promise<KeyVersionInfo | null>;
}

export class KeyProviderError extends Error {
  override name = 'KeyProviderError';
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

/** RSA-2048 keys made with node:crypto, private halves sealed with AES-256-GCM under VIGIL_MASTER_KEY. */
export function createBuiltinKeyProvider(secrets: SecretBox): KeyProvider {
  return {
    name: 'builtin',
    async createKey(db, opts) {
      const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
        modulusLength: 2048,
        publicExponent: 0x10001,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      const [row] = await db
        .insert(signatureKeyVersions)
        .values({
          accountId: opts.accountId,
          witnessId: opts.witnessId,
          version: opts.version,
          publicKeyPem: publicKey,
          fingerprint: publicKeyFingerprint(publicKey),
          sealedPrivateKey: secrets.seal(privateKey, privateKeyAad(opts.witnessId, opts.version)),
        })
        .returning();
      if (!row) throw new KeyProviderError('the key version was not stored');
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
      if (opts.digest.length !== 32) throw new KeyProviderError('sign takes a 32-byte SHA-256 digest');
      const [row] = await db
        .select({ status: signatureKeyVersions.status, sealed: signatureKeyVersions.sealedPrivateKey })
        .from(signatureKeyVersions)
        .where(
          and(
            eq(signatureKeyVersions.witnessId, opts.witnessId),
            eq(signatureKeyVersions.version, opts.version),
          ),
        );
      if (!row?.sealed) throw new KeyProviderError(`key version ${opts.version} does not exist`);
      if (row.status !== 'enabled') throw new KeyProviderError(`key version ${opts.version} is disabled`);
      const pem = secrets.open(row.sealed, privateKeyAad(opts.witnessId, opts.version));
      try {
        // PKCS#1 v1.5 signing of a precomputed digest: EMSA-PKCS1-v1_5 encoding of DigestInfo, then RSA with d.
        return privateEncrypt(
          { key: pem, padding: constants.RSA_PKCS1_PADDING },
          Buffer.concat([SHA256_DIGEST_INFO, opts.digest]),
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

const providers = new WeakMap<SecretBox, KeyProvider>();

/** The provider for a set of services (one per secret box, so tests with their own keys stay apart). */
export function keyProviderFor(services: { secrets: SecretBox }): KeyProvider {
  let provider = providers.get(services.secrets);
  if (!provider) {
    provider = createBuiltinKeyProvider(services.secrets);
    providers.set(services.secrets, provider);
  }
  return provider;
}
