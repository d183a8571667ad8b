import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { oldestFirst } from '../../db/id-pages.js';
import { registryCredentials } from '../../db/schema/signature.js';
import type { SecretBox } from '../../platform/secrets.js';
import type { RegistryCredential } from './registry-client.js';

export type RegistryCredentialRow = typeof registryCredentials.$inferSelect;

const credentialChanges = new Map<string, number>();

/** Tells this process's registry clients that an account's credentials changed (other replicas: within a minute). */
export function noteRegistryCredentialChange(accountId: string): void {
  credentialChanges.set(accountId, (credentialChanges.get(accountId) ?? 0) + 1);
}

export const registryCredentialChanges = (accountId: string) => credentialChanges.get(accountId) ?? 0;

/** Binds a sealed password to its account and registry: copied to another row it does not open. */
export const passwordAad = (accountId: string, registry: string) => `${accountId}:${registry}`;

/** What a response or an audit row may say about a credential: never the password. */
export const credentialSummary = (r: RegistryCredentialRow) => ({
  id: r.id,
  registry: r.registry,
  username: r.username,
});

export async function listRegistryCredentials(
  db: Executor,
  opts: { accountId: string; after?: string; limit: number },
): Promise<RegistryCredentialRow[]> {
  return oldestFirst(db, registryCredentials, opts);
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
