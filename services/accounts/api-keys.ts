import { and, eq, isNull } from 'drizzle-orm';
import type { Database, Executor } from '../../db/client.js';
import { apiKeys } from '../../db/schema/accounts.js';
import { apiKeyPrefix } from '../../domain/api-keys.js';
import type { Role } from '../../domain/roles.js';
import { hashToken, randomToken, tokenHashEquals } from '../../platform/secrets.js';

export function generateApiKey(): string {
  return `vgl_${randomToken(8)}_${randomToken(40)}`;
}

export interface CreatedApiKey {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: Date;
  /** Shown once; only its hash is stored. */
  key: string;
}

export async function createApiKey(
  db: Executor,
  opts: { accountId: string; name: string; role: Role; createdBy?: string | null; key?: string },
): Promise<CreatedApiKey> {
  const key = opts.key ?? generateApiKey();
  const prefix = apiKeyPrefix(key);
  if (!prefix) throw new Error('API key is not of the form vgl_<8>_<32+>');
  const [row] = await db
    .insert(apiKeys)
    .values({
      accountId: opts.accountId,
      name: opts.name,
      role: opts.role,
      prefix,
      hash: hashToken(key),
      createdBy: opts.createdBy ?? null,
    })
    .returning();
  if (!row) throw new Error('insert returned no row');
  return { id: row.id, name: row.name, role: row.role, prefix: row.prefix, createdAt: row.createdAt, key };
}

export interface AuthenticatedKey {
  accountId: string;
  apiKeyId: string;
  role: Role;
  lastUsedAt: Date | null;
}

/** Finds the live key for a bearer token; null for unknown, malformed or revoked keys. */
export async function authenticateApiKey(db: Database, key: string): Promise<AuthenticatedKey | null> {
  const prefix = apiKeyPrefix(key);
  if (!prefix) return null;
  const [row] = await db
    .select({
      id: apiKeys.id,
      accountId: apiKeys.accountId,
      role: apiKeys.role,
      hash: apiKeys.hash,
      lastUsedAt: apiKeys.lastUsedAt,
    })
    .from(apiKeys)
    .where(and(eq(apiKeys.prefix, prefix), isNull(apiKeys.revokedAt)))
    .limit(1);
  if (!row || !tokenHashEquals(row.hash, hashToken(key))) return null;
  return { accountId: row.accountId, apiKeyId: row.id, role: row.role, lastUsedAt: row.lastUsedAt };
}
