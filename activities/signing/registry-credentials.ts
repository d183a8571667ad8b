import { and, eq, gt } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import type { Database, Executor } from '../../db/client.js';
import { registryCredentials } from '../../db/schema/signature.js';
import type { SecretBox } from '../../platform/secrets.js';
import type { RegistryCredential } from './registry-client.js';
import { SigningRuleError, type Actor } from './witnesses.js';

export type RegistryCredentialRow = typeof registryCredentials.$inferSelect;

const credentialChanges = new Map<string, number>();

/** Tells this process's registry clients that an account's credentials changed (other replicas: within a minute). */
function noteRegistryCredentialChange(accountId: string): void {
  credentialChanges.set(accountId, (credentialChanges.get(accountId) ?? 0) + 1);
}

export const registryCredentialChanges = (accountId: string) => credentialChanges.get(accountId) ?? 0;

/** Binds a sealed password to its account and registry: copied to another row it does not open. */
const passwordAad = (accountId: string, registry: string) => `${accountId}:${registry}`;

/** What a response or an audit row may say about a credential: never the password. */
export const credentialSummary = (r: RegistryCredentialRow) => ({
  id: r.id,
  registry: r.registry,
  username: r.username,
});

export async function createRegistryCredential(
  db: Database,
  secrets: SecretBox,
  opts: Actor & { registry: string; username: string; password: string },
): Promise<RegistryCredentialRow> {
  const row = await db.transaction(async (tx) => {
    const [created] = await tx
      .insert(registryCredentials)
      .values({
        accountId: opts.accountId,
        registry: opts.registry,
        username: opts.username,
        sealedPassword: secrets.seal(opts.password, passwordAad(opts.accountId, opts.registry)),
      })
      .onConflictDoNothing()
      .returning();
    if (!created)
      throw new SigningRuleError(
        'conflict',
        `a credential for registry "${opts.registry}" exists; delete it to replace it`,
      );
    await recordAudit(tx, {
      ...opts,
      action: 'signature.registry_credential.create',
      targetType: 'signature_registry_credential',
      targetId: created.id,
      after: credentialSummary(created),
    });
    return created;
  });
  noteRegistryCredentialChange(opts.accountId);
  return row;
}

export async function listRegistryCredentials(
  db: Executor,
  opts: { accountId: string; after?: string; limit: number },
): Promise<RegistryCredentialRow[]> {
  return db
    .select()
    .from(registryCredentials)
    .where(
      and(
        eq(registryCredentials.accountId, opts.accountId),
        opts.after ? gt(registryCredentials.id, opts.after) : undefined,
      ),
    )
    .orderBy(registryCredentials.id)
    .limit(opts.limit + 1);
}

export async function deleteRegistryCredential(
  db: Database,
  opts: Actor & { credentialId: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .delete(registryCredentials)
      .where(
        and(eq(registryCredentials.accountId, opts.accountId), eq(registryCredentials.id, opts.credentialId)),
      )
      .returning();
    if (!row) throw new SigningRuleError('not_found', 'registry credential not found');
    await recordAudit(tx, {
      ...opts,
      action: 'signature.registry_credential.delete',
      targetType: 'signature_registry_credential',
      targetId: row.id,
      before: credentialSummary(row),
    });
  });
  noteRegistryCredentialChange(opts.accountId);
}

/** The account's credential for a registry, opened; null when it has none (anonymous access). */
export async function loadRegistryCredential(
  db: Executor,
  secrets: SecretBox,
  opts: { accountId: string; registry: string },
): Promise<RegistryCredential | null> {
  const [row] = await db
    .select()
    .from(registryCredentials)
    .where(
      and(eq(registryCredentials.accountId, opts.accountId), eq(registryCredentials.registry, opts.registry)),
    );
  if (!row) return null;
  return {
    username: row.username,
    password: secrets.openText(row.sealedPassword, passwordAad(opts.accountId, opts.registry)),
  };
}
