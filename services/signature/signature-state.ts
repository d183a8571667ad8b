import { eq, sql } from 'drizzle-orm';
import { recordAudit, type AuditEntry } from '../../db/audit.js';
import type { Executor } from '../../db/client.js';
import { signatureState } from '../../db/schema/signature.js';
import type { Actor } from './actor.js';

/**
 * Marks the account's admission inputs (policies, key versions, witnesses, signatures) as changed; run it in the
 * transaction of the change. Every replica compares this generation on each admission and drops its cache.
 */
export async function bumpSignatureGeneration(db: Executor, accountId: string): Promise<void> {
  await db
    .insert(signatureState)
    .values({ accountId, generation: 1 })
    .onConflictDoUpdate({
      target: signatureState.accountId,
      set: { generation: sql`${signatureState.generation} + 1` },
    });
}

/** A change of the admission inputs, in its transaction: bumps the account's generation, then writes its audit row. */
export async function recordSignatureChange(
  tx: Executor,
  actor: Actor,
  entry: Omit<AuditEntry, keyof Actor>,
): Promise<void> {
  await bumpSignatureGeneration(tx, actor.accountId);
  await recordAudit(tx, { ...actor, ...entry });
}

export async function readSignatureGeneration(db: Executor, accountId: string): Promise<number> {
  const [row] = await db.select().from(signatureState).where(eq(signatureState.accountId, accountId));
  return row?.generation ?? 0;
}

const localChanges = new Map<string, number>();

/**
 * Tells this process's admission caches that the account changed; call it after the transaction that bumped the
 * generation has committed (other replicas notice through the generation within GENERATION_CHECK_MS).
 */
export function noteSignatureChange(accountId: string): void {
  localChanges.set(accountId, (localChanges.get(accountId) ?? 0) + 1);
}

export function localSignatureChanges(accountId: string): number {
  return localChanges.get(accountId) ?? 0;
}

/** Runs a change in a transaction and notes it for this process's admission caches once committed. */
export async function afterCommitNote<T>(accountId: string, work: Promise<T>): Promise<T> {
  const result = await work;
  noteSignatureChange(accountId);
  return result;
}
