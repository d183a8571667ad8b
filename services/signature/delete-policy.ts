import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { signaturePolicies } from '../../db/schema/signature.js';
import { notFound } from '../../domain/errors.js';
import type { Actor } from './actor.js';
import { afterCommitNote, recordSignatureChange } from './signature-state.js';

export async function deletePolicy(db: Database, actor: Actor, opts: { policyId: string }): Promise<void> {
  await afterCommitNote(
    actor.accountId,
    db.transaction(async (tx) => {
      const [row] = await tx
        .delete(signaturePolicies)
        .where(and(eq(signaturePolicies.accountId, actor.accountId), eq(signaturePolicies.id, opts.policyId)))
        .returning();
      if (!row) throw notFound('security policy');
      await recordSignatureChange(tx, actor, {
        action: 'signature.policy.delete',
        targetType: 'signature_policy',
        targetId: row.id,
        before: row,
      });
    }),
  );
}
