import { and, eq, gt, isNull } from 'drizzle-orm';
import { authenticateApiKey } from './api-keys.js';
import { recordAudit } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import { apiKeys } from '../../db/schema/accounts.js';
import { consoleSessions } from '../../db/schema/console.js';
import { CONSOLE_SESSION_TTL_MS } from '../../domain/console.js';
import type { Role } from '../../domain/roles.js';
import { hashToken, randomToken } from '../../platform/secrets.js';

/** The audit row of a session's start or end: the actor is the API key the session was made from. */
function sessionAudit(
  key: { accountId: string; apiKeyId: string },
  sessionId: string,
  action: string,
  requestId: string,
) {
  return {
    accountId: key.accountId,
    actor: `key:${key.apiKeyId}`,
    action,
    targetType: 'console_session',
    targetId: sessionId,
    requestId,
  };
}

export interface ConsoleSession {
  id: string;
  accountId: string;
  apiKeyId: string;
  role: Role;
  expiresAt: Date;
  /** The token the browser holds; only its hash is stored. Kept in memory for the CSRF token of this request. */
  token: string;
}

/** Signs in with an API key: a new session, or null when the key is unknown or revoked (the API's own check). */
export async function signIn(
  db: Database,
  apiKey: string,
  requestId: string,
): Promise<ConsoleSession | null> {
  const key = await authenticateApiKey(db, apiKey.trim());
  if (!key) return null;
  const token = randomToken(43);
  const expiresAt = new Date(Date.now() + CONSOLE_SESSION_TTL_MS);
  const row = await db.transaction(async (tx) => {
    const [inserted] = await tx
      .insert(consoleSessions)
      .values({
        accountId: key.accountId,
        apiKeyId: key.apiKeyId,
        role: key.role,
        tokenHash: hashToken(token),
        expiresAt,
      })
      .returning({ id: consoleSessions.id });
    if (!inserted) throw new Error('insert returned no row');
    await recordAudit(tx, {
      ...sessionAudit(key, inserted.id, 'console.sign_in', requestId),
      after: { role: key.role, expiresAt: expiresAt.toISOString() },
    });
    return inserted;
  });
  return { id: row.id, accountId: key.accountId, apiKeyId: key.apiKeyId, role: key.role, expiresAt, token };
}

/**
 * The live session of a cookie: not expired, not revoked, and its API key not revoked either (a revoked key ends
 * every console session made from it at once). The role is the key's current role.
 */
export async function findSession(db: Database, token: string | undefined): Promise<ConsoleSession | null> {
  if (!token || token.length > 200) return null;
  const [row] = await db
    .select({
      id: consoleSessions.id,
      accountId: consoleSessions.accountId,
      apiKeyId: consoleSessions.apiKeyId,
      role: apiKeys.role,
      expiresAt: consoleSessions.expiresAt,
    })
    .from(consoleSessions)
    .innerJoin(apiKeys, eq(apiKeys.id, consoleSessions.apiKeyId))
    .where(
      and(
        eq(consoleSessions.tokenHash, hashToken(token)),
        isNull(consoleSessions.revokedAt),
        gt(consoleSessions.expiresAt, new Date()),
        isNull(apiKeys.revokedAt),
      ),
    )
    .limit(1);
  return row ? { ...row, token } : null;
}

/** Signs out: the session is revoked in the database, so a copy of the cookie is worthless too. */
export async function signOut(db: Database, session: ConsoleSession, requestId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(consoleSessions)
      .set({ revokedAt: new Date() })
      .where(and(eq(consoleSessions.id, session.id), isNull(consoleSessions.revokedAt)));
    await recordAudit(tx, sessionAudit(session, session.id, 'console.sign_out', requestId));
  });
}
