import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/**
 * AES-256-GCM under VIGIL_MASTER_KEY for secrets at rest (DingTalk secrets, SMTP passwords, private keys).
 * Sealed form: `v1.<iv>.<tag>.<ciphertext>` in base64url; `aad` binds a ciphertext to the row it belongs to.
 */
export interface SecretBox {
  seal(plain: string | Buffer, aad?: string): string;
  open(sealed: string, aad?: string): Buffer;
  openText(sealed: string, aad?: string): string;
  /** A 32-byte key for one purpose (e.g. signing e-mail links), derived from the master key by HKDF-SHA256. */
  deriveKey(purpose: string): Buffer;
}

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

export function parseMasterKey(value: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32)
    throw new SecretBoxError('VIGIL_MASTER_KEY must be 32 bytes (64 hex digits or base64)');
  return key;
}

export function generateMasterKey(): string {
  return randomBytes(32).toString('hex');
}

export function createSecretBox(masterKey: Buffer): SecretBox {
  if (masterKey.length !== 32) throw new SecretBoxError('master key must be 32 bytes');
  const open = (sealed: string, aad?: string): Buffer => {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== 'v1') throw new SecretBoxError('not a sealed secret');
    const [, iv, tag, ct] = parts as [string, string, string, string];
    const decipher = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(iv, 'base64url'));
    if (aad) decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
    } catch (err) {
      throw new SecretBoxError(
        `cannot decrypt a stored secret: wrong VIGIL_MASTER_KEY or tampered data (${(err as Error).message})`,
      );
    }
  };
  return {
    seal(plain, aad) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
      if (aad) cipher.setAAD(Buffer.from(aad));
      const ct = Buffer.concat([
        cipher.update(typeof plain === 'string' ? Buffer.from(plain) : plain),
        cipher.final(),
      ]);
      return [
        'v1',
        iv.toString('base64url'),
        cipher.getAuthTag().toString('base64url'),
        ct.toString('base64url'),
      ].join('.');
    },
    open,
    openText: (sealed, aad) => open(sealed, aad).toString('utf8'),
    deriveKey: (purpose) =>
      Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `vigil:${purpose}`, 32)),
  };
}

/** SHA-256 of a high-entropy token (API keys, agent and cluster tokens), hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function tokenHashEquals(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random base62 string of `length` characters (rejection sampling, no modulo bias). */
export function randomToken(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += ALPHABET[b % 62];
    }
  }
  return out;
}
