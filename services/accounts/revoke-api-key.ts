import { and, eq, isNull } from 'drizzle-orm';
import { recordAudit, type AuditEntry } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import { apiKeys } from '../../db/schema/accounts.js';
import { MIN_ACTIVE_ADMIN_KEYS } from '../../domain/api-keys.js';
import { conflict, notFound } from '../../domain/errors.js';
import { announceApiKeyRevoked } from './api-key-cache.js';
import type { ApiKeyRow } from './api-key-views.js';

/**
 * Revokes an API key of the account, audited in the same transaction; revoking a revoked key returns it unchanged.
 * The account's last active admin key cannot be revoked (409).
 */
export async function revokeApiKey(
  db: Database,
  actor: Pick<AuditEntry, 'accountId' | 'actor' | 'requestId'>,
  opts: { id: string },
): Promise<ApiKeyRow> {
  const row = await db.transaction(async (tx) => {
    const where = and(eq(apiKeys.accountId, actor.accountId), eq(apiKeys.id, opts.id));
    const [before] = await tx.select().from(apiKeys).where(where);
    if (!before) throw notFound('API key');
    if (before.revokedAt) return before;
    if (before.role === 'admin') {
      // Locks the account's active admin keys, so two admins revoking each other cannot both succeed.
      const admins = await tx
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(
          and(eq(apiKeys.accountId, actor.accountId), eq(apiKeys.role, 'admin'), isNull(apiKeys.revokedAt)),
        )
        .for('update');
      if (admins.length <= MIN_ACTIVE_ADMIN_KEYS) {
        throw conflict(
          'this is the last active admin key of the account; create another admin key before revoking it',
        );
      }
    }
    const [after] = await tx.update(apiKeys).set({ revokedAt: new Date() }).where(where).returning();
    if (!after) throw notFound('API key');
    await recordAudit(tx, {
      ...actor,
      action: 'api_key.revoke',
      targetType: 'api_key',
      targetId: opts.id,
      after: { revokedAt: after.revokedAt },
    });
    return after;
  });
  // After the commit, so that no process can read the key as live again once it has dropped it.
  await announceApiKeyRevoked(db, opts.id);
  return row;
}
