import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { assets } from '../../db/schema/inventory.js';
import { notFound } from '../../domain/errors.js';
import {
  createEnrollmentToken as insertEnrollmentToken,
  type AuditedBy,
  type EnrollmentTokenRow,
} from './register-agent.js';

/**
 * A new enrollment token (audited in the insert's transaction), optionally bound to an asset of the account (404 when
 * the asset is not the account's). The token is in the result only.
 */
export async function createEnrollmentToken(
  db: Database,
  actor: AuditedBy,
  opts: { assetId?: string; expiresInHours: number; maxUses?: number; description?: string },
): Promise<{ row: EnrollmentTokenRow; token: string }> {
  if (opts.assetId) {
    const [asset] = await db
      .select({ id: assets.id })
      .from(assets)
      .where(and(eq(assets.accountId, actor.accountId), eq(assets.id, opts.assetId)));
    if (!asset) throw notFound('asset');
  }
  return insertEnrollmentToken(db, { ...actor, ...opts });
}
