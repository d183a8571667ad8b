import { and, eq } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import { reports } from '../../db/schema/reports.js';
import type { Services } from '../../platform/services.js';
import { ruleError, type TReportActor } from './report-checks.js';
import { getReport } from './report-views.js';
import { syncReportSchedule } from './sync-report-schedule.js';

/** Deletes a report (never the default one: 422), audited in the same transaction; its schedule goes with it. */
export async function deleteReport(
  deps: Pick<Services, 'db' | 'temporal' | 'taskQueues' | 'logger'>,
  actor: TReportActor,
  opts: { id: string },
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const before = await getReport(tx, actor.accountId, opts.id);
    if (before.isDefault) {
      throw ruleError([{ field: 'id', message: 'the default security report cannot be deleted' }]);
    }
    await tx.delete(reports).where(and(eq(reports.id, before.id), eq(reports.accountId, actor.accountId)));
    await recordAudit(tx, {
      ...actor,
      action: 'report.delete',
      targetType: 'report',
      targetId: before.id,
      before,
    });
  });
  await syncReportSchedule(deps, opts.id);
}
