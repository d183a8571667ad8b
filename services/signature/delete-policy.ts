import { and, eq } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import { signaturePolicies } from '../../db/schema/signature.js';
import { notFound } from '../../domain/errors.js';
import type { Actor } from './actor.js';
import { afterCommitNote, bumpSignatureGeneration } from './signature-state.js';

export async function deletePolicy(db: Database, actor: Actor, opts: { policyId: string }): Promise<void> {
  await afterCommitNote(
    actor.accountId,
    db.transaction(async (tx) => {
      const [row] = await tx
        .delete(signaturePolicies)
        .where(and(eq(signaturePolicies.accountId, actor.accountId), eq(signaturePolicies.id, opts.policyId)))
        .returning();
      if (!row) throw notFound('security policy');
      await bumpSignatureGeneration(tx, actor.accountId);
      await recordAudit(tx, {
        ...actor,
        action: 'signature.policy.delete',
        targetType: 'signature_policy',
        targetId: row.id,
        before: row,
      });
    }),
  );
}
