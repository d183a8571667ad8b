import { recordAudit, type AuditEntry } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import type { Role } from '../../domain/roles.js';
import { createApiKey, type CreatedApiKey } from './api-keys.js';

/** A new API key of the account, audited in the same transaction; the key is in the result only. */
export async function createAccountApiKey(
  db: Database,
  actor: Pick<AuditEntry, 'accountId' | 'actor' | 'requestId'>,
  opts: { name: string; role: Role; createdBy?: string | null },
): Promise<CreatedApiKey> {
  return db.transaction(async (tx) => {
    const k = await createApiKey(tx, {
      accountId: actor.accountId,
      name: opts.name,
      role: opts.role,
      createdBy: opts.createdBy,
    });
    await recordAudit(tx, {
      ...actor,
      action: 'api_key.create',
      targetType: 'api_key',
      targetId: k.id,
      after: { name: k.name, role: k.role, prefix: k.prefix },
    });
    return k;
  });
}
