import { recordAudit } from '../../db/audit.js';
import { registryCredentials } from '../../db/schema/signature.js';
import { conflict } from '../../domain/errors.js';
import type { Services } from '../../platform/services.js';
import type { Actor } from './actor.js';
import {
  credentialSummary,
  noteRegistryCredentialChange,
  passwordAad,
  type RegistryCredentialRow,
} from './registry-credential-views.js';

/** Stores the credential Vigil uses with one registry; the password is sealed and never shown again. */
export async function createRegistryCredential(
  services: Pick<Services, 'db' | 'secrets'>,
  actor: Actor,
  opts: { registry: string; username: string; password: string },
): Promise<RegistryCredentialRow> {
  const row = await services.db.transaction(async (tx) => {
    const [created] = await tx
      .insert(registryCredentials)
      .values({
        accountId: actor.accountId,
        registry: opts.registry,
        username: opts.username,
        sealedPassword: services.secrets.seal(opts.password, passwordAad(actor.accountId, opts.registry)),
      })
      .onConflictDoNothing()
      .returning();
    if (!created)
      throw conflict(`a credential for registry "${opts.registry}" exists; delete it to replace it`);
    await recordAudit(tx, {
      ...actor,
      action: 'signature.registry_credential.create',
      targetType: 'signature_registry_credential',
      targetId: created.id,
      after: credentialSummary(created),
    });
    return created;
  });
  noteRegistryCredentialChange(actor.accountId);
  return row;
}
