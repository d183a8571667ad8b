import { and, eq, inArray, lt, notExists, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { recordAudit } from '../../db/audit.js';
import { vulnerabilities } from '../../db/schema/findings.js';
import { playbookTaskVulnerabilities } from '../../db/schema/playbook.js';
import { effectiveSettings } from '../agents/effective-settings.js';

const DAY_MS = 86_400_000;
/** Names kept in the audit row; the count is always complete. */
const AUDITED_NAMES = 200;

export interface StaleFindingsOutcome {
  /** The pass's clock reading. */
  at: string;
  deleteAfterDays: number;
  cutoff: string;
  deleted: number;
}

/**
 * Deletes the account's vulnerabilities that stayed unfixed and were not detected again for the settings'
 * `deleteAfterDays` (manual, "Configure vulnerability settings"), in one audited transaction. Findings a Playbook
 * task fixes or fixed are kept: they are part of that task's record.
 */
export async function deleteStaleFindings(
  db: Database,
  opts: { accountId: string; now: Date; actor: string },
): Promise<StaleFindingsOutcome> {
  const { settings } = await effectiveSettings(db, opts.accountId);
  const days = settings.vulnerabilityManagement.deleteAfterDays;
  const cutoff = new Date(opts.now.getTime() - days * DAY_MS);
  return db.transaction(async (tx) => {
    const deleted = await tx
      .delete(vulnerabilities)
      .where(
        and(
          eq(vulnerabilities.accountId, opts.accountId),
          inArray(vulnerabilities.status, ['open', 'ignored']),
          lt(vulnerabilities.lastSeenAt, cutoff),
          notExists(
            tx
              .select({ one: sql`1` })
              .from(playbookTaskVulnerabilities)
              .where(eq(playbookTaskVulnerabilities.vulnerabilityId, vulnerabilities.id)),
          ),
        ),
      )
      .returning({ id: vulnerabilities.id, assetId: vulnerabilities.assetId, name: vulnerabilities.name });
    const outcome = {
      at: opts.now.toISOString(),
      deleteAfterDays: days,
      cutoff: cutoff.toISOString(),
      deleted: deleted.length,
    };
    if (deleted.length > 0)
      await recordAudit(tx, {
        accountId: opts.accountId,
        actor: opts.actor,
        action: 'vulnerability.auto_delete',
        targetType: 'account',
        targetId: opts.accountId,
        before: deleted.slice(0, AUDITED_NAMES).map((d) => ({ id: d.id, assetId: d.assetId, name: d.name })),
        after: outcome,
      });
    return outcome;
  });
}
