import { and, eq } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import { registryCredentials } from '../../db/schema/signature.js';
import { notFound } from '../../domain/errors.js';
import type { Actor } from './actor.js';
import { credentialSummary, noteRegistryCredentialChange } from './registry-credential-views.js';

/** Deletes a registry credential; Vigil then reads that registry anonymously. */
export async function deleteRegistryCredential(
  db: Database,
  actor: Actor,
  opts: { credentialId: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .delete(registryCredentials)
      .where(
        and(
          eq(registryCredentials.accountId, actor.accountId),
          eq(registryCredentials.id, opts.credentialId),
        ),
      )
      .returning();
    if (!row) throw notFound('registry credential');
    await recordAudit(tx, {
      ...actor,
      action: 'signature.registry_credential.delete',
      targetType: 'signature_registry_credential',
      targetId: row.id,
      before: credentialSummary(row),
    });
  });
  noteRegistryCredentialChange(actor.accountId);
}
