import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { recordAudit } from '../../db/audit.js';
import { agentEnrollmentTokens } from '../../db/schema/agents.js';
import type { AuditedBy } from './actor.js';
import { withoutHash } from './enrollment-token-views.js';

/** Deletes a token; agents it enrolled keep their own tokens. Returns false when the token is not the account's. */
export async function deleteEnrollmentToken(
  db: Database,
  opts: AuditedBy & { id: string },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .delete(agentEnrollmentTokens)
      .where(and(eq(agentEnrollmentTokens.accountId, opts.accountId), eq(agentEnrollmentTokens.id, opts.id)))
      .returning();
    if (!row) return false;
    await recordAudit(tx, {
      ...opts,
      action: 'agent_enrollment_token.delete',
      targetType: 'agent_enrollment_token',
      targetId: row.id,
      before: withoutHash(row),
    });
    return true;
  });
}
