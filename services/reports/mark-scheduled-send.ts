import { and, eq, isNull } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import { reports } from '../../db/schema/reports.js';
import type { Services } from '../../platform/services.js';
import { syncReportSchedule } from './sync-report-schedule.js';

/**
 * Records that a Custom report's one send inside its Report Time went out (idempotent: the first run's time
 * stays), audited as the system, then removes its schedule: from now on only Send Now sends the report.
 */
export async function markScheduledSend(
  deps: Pick<Services, 'db' | 'temporal' | 'taskQueues' | 'logger'>,
  opts: { accountId: string; reportId: string; workflowId: string },
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const [after] = await tx
      .update(reports)
      .set({ scheduledSendAt: new Date() })
      .where(
        and(
          eq(reports.id, opts.reportId),
          eq(reports.accountId, opts.accountId),
          isNull(reports.scheduledSendAt),
        ),
      )
      .returning({ id: reports.id, scheduledSendAt: reports.scheduledSendAt });
    if (!after) return;
    await recordAudit(tx, {
      accountId: opts.accountId,
      actor: 'system:report-schedule',
      action: 'report.scheduled_send',
      targetType: 'report',
      targetId: opts.reportId,
      after: { scheduledSendAt: after.scheduledSendAt, workflowId: opts.workflowId },
    });
  });
  await syncReportSchedule(deps, opts.reportId);
}
