import { createHmac, timingSafeEqual } from 'node:crypto';

/** The session store lives in services/accounts/console-sessions.ts; re-exported for the console's own modules. */
export { findSession, signIn, signOut, type ConsoleSession } from '../services/accounts/console-sessions.js';

/**
 * The CSRF token of a session: an HMAC of the session's own token, so it needs no storage, differs per session
 * and cannot be computed by a page that cannot read the HttpOnly cookie.
 */
export function csrfToken(key: Buffer, sessionToken: string): string {
  return createHmac('sha256', key).update(`csrf:${sessionToken}`).digest('base64url');
}

export function csrfTokenMatches(key: Buffer, sessionToken: string, given: string | undefined): boolean {
  if (!given) return false;
  const want = Buffer.from(csrfToken(key, sessionToken));
  const got = Buffer.from(given);
  return want.length === got.length && timingSafeEqual(want, got);
}
