import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { recordAudit } from '../../db/audit.js';
import { agentEnrollmentTokens } from '../../db/schema/agents.js';
import { assets } from '../../db/schema/inventory.js';
import { ENROLLMENT_TOKEN_PREFIX, TOKEN_SECRET_LENGTH } from '../../domain/agent-jobs.js';
import { notFound } from '../../domain/errors.js';
import { hashToken, randomToken } from '../../platform/secrets.js';
import type { AuditedBy } from './actor.js';
import { withoutHash, type EnrollmentTokenRow } from './enrollment-token-views.js';

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
  const token = `${ENROLLMENT_TOKEN_PREFIX}${randomToken(TOKEN_SECRET_LENGTH)}`;
  const row = await db.transaction(async (tx) => {
    const [inserted] = await tx
      .insert(agentEnrollmentTokens)
      .values({
        accountId: actor.accountId,
        tokenHash: hashToken(token),
        assetId: opts.assetId ?? null,
        description: opts.description ?? '',
        expiresAt: new Date(Date.now() + opts.expiresInHours * 3_600_000),
        maxUses: opts.maxUses ?? null,
        createdBy: actor.actor,
      })
      .returning();
    if (!inserted) throw new Error('insert returned no row');
    await recordAudit(tx, {
      ...actor,
      action: 'agent_enrollment_token.create',
      targetType: 'agent_enrollment_token',
      targetId: inserted.id,
      after: withoutHash(inserted),
    });
    return inserted;
  });
  return { row, token };
}
