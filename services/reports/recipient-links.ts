import { createHmac, timingSafeEqual } from 'node:crypto';
import { UNSUBSCRIBE_LINK_TTL_DAYS } from '../../domain/reports/rules.js';
import type { SecretBox } from '../../platform/secrets.js';

/** What a signed e-mail link may do. */
export type TLinkPurpose = 'verify' | 'unsubscribe';

interface LinkClaims {
  p: TLinkPurpose;
  a: string;
  r: string;
  /** Expiry, seconds since the epoch. */
  e: number;
}

/** The HMAC key for e-mail links, derived from the master key, so no second secret needs managing. */
export function linkSigningKey(secrets: SecretBox): Buffer {
  return secrets.deriveKey('report-recipient-links');
}

/** `<claims>.<HMAC-SHA256>` in base64url; stateless, tamper-evident and expiring. */
export function signLinkToken(
  key: Buffer,
  opts: { purpose: TLinkPurpose; accountId: string; recipientId: string; expiresAt: Date },
): string {
  const claims: LinkClaims = {
    p: opts.purpose,
    a: opts.accountId,
    r: opts.recipientId,
    e: Math.floor(opts.expiresAt.getTime() / 1000),
  };
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

export type TLinkCheck =
  | { ok: true; accountId: string; recipientId: string }
  | { ok: false; reason: 'malformed' | 'bad signature' | 'expired' | 'wrong purpose' };

export function readLinkToken(key: Buffer, token: string, purpose: TLinkPurpose, now: Date): TLinkCheck {
  const [body, mac, extra] = token.split('.');
  if (!body || !mac || extra !== undefined) return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', key).update(body).digest();
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'bad signature' };
  let claims: Partial<LinkClaims>;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<LinkClaims>;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof claims.a !== 'string' || typeof claims.r !== 'string' || typeof claims.e !== 'number') {
    return { ok: false, reason: 'malformed' };
  }
  if (claims.p !== purpose) return { ok: false, reason: 'wrong purpose' };
  if (claims.e * 1000 < now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, accountId: claims.a, recipientId: claims.r };
}

/** Public routes (outside `/v1`, no API key): the links in mails point here. */
export const VERIFY_PATH = '/public/v1/email-recipients/verify';
export const UNSUBSCRIBE_PATH = '/public/v1/unsubscribe';

/** The one-click unsubscribe link of a recipient (RFC 8058), valid without logging in. */
export function unsubscribeUrl(
  deps: { secrets: SecretBox; publicUrl: string },
  accountId: string,
  recipientId: string,
): string {
  const token = signLinkToken(linkSigningKey(deps.secrets), {
    purpose: 'unsubscribe',
    accountId,
    recipientId,
    expiresAt: new Date(Date.now() + UNSUBSCRIBE_LINK_TTL_DAYS * 86_400_000),
  });
  return `${deps.publicUrl}${UNSUBSCRIBE_PATH}?token=${token}`;
}
