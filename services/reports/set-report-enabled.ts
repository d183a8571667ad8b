import { and, eq } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import { reports } from '../../db/schema/reports.js';
import type { Services } from '../../platform/services.js';
import type { TReportActor } from './report-checks.js';
import type { ReportRow } from './report-schedules.js';
import { getReport } from './report-views.js';
import { syncReportSchedule } from './sync-report-schedule.js';

/** Enables or disables a report (manual: "Stop sending a security report"); its schedule follows. */
export async function setReportEnabled(
  deps: Pick<Services, 'db' | 'temporal' | 'taskQueues' | 'logger'>,
  actor: TReportActor,
  opts: { id: string; enabled: boolean },
): Promise<ReportRow> {
  const row = await deps.db.transaction(async (tx) => {
    const before = await getReport(tx, actor.accountId, opts.id);
    const [after] = await tx
      .update(reports)
      .set({ enabled: opts.enabled })
      .where(and(eq(reports.id, before.id), eq(reports.accountId, actor.accountId)))
      .returning();
    if (!after) throw new Error('update returned no row');
    await recordAudit(tx, {
      ...actor,
      action: opts.enabled ? 'report.enable' : 'report.disable',
      targetType: 'report',
      targetId: after.id,
      before: { enabled: before.enabled },
      after: { enabled: opts.enabled },
    });
    return after;
  });
  await syncReportSchedule(deps, row.id);
  return row;
}
