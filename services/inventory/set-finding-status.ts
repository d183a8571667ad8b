import { and, eq } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { recordAudit } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import { alerts, baselineRisks, vulnerabilities } from '../../db/schema/findings.js';
import { notFound } from '../../domain/errors.js';
import type { InventoryActor } from './actor.js';

/** How each kind of finding takes a status change: its table and the columns that go with the new status. */
const STATUS_RULES = {
  vulnerabilities: { table: vulnerabilities, extra: undefined },
  alerts: {
    table: alerts,
    extra: (s: string) => ({ handledAt: s === 'unhandled' ? null : new Date() }),
  },
  'baseline-risks': { table: baselineRisks, extra: undefined },
} as const;

export type StatusFindingKind = keyof typeof STATUS_RULES;

/**
 * Sets the status of one of the account's findings (404 for another account's), audited with the status before
 * and after in the same transaction. Returns the updated row.
 */
export async function setFindingStatus(
  db: Database,
  actor: InventoryActor,
  opts: { kind: StatusFindingKind; id: string; status: string },
): Promise<Record<string, unknown>> {
  const { kind, id, status } = opts;
  const { table, extra } = STATUS_RULES[kind] as {
    table: PgTable & { id: PgColumn; accountId: PgColumn };
    extra: ((s: string) => Record<string, unknown>) | undefined;
  };
  const where = and(eq(table.accountId, actor.accountId), eq(table.id, id));
  return db.transaction(async (tx) => {
    const [before] = (await tx.select().from(table).where(where)) as Record<string, unknown>[];
    if (!before) throw notFound(kind.replace(/s$/, ''));
    const [after] = (await tx
      .update(table)
      .set({ status, ...(extra?.(status) ?? {}) })
      .where(where)
      .returning()) as Record<string, unknown>[];
    await recordAudit(tx, {
      ...actor,
      action: `${kind}.status`,
      targetType: kind,
      targetId: id,
      before: { status: before.status },
      after: { status },
    });
    return after ?? before;
  });
}
