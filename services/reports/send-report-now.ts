import { recordAudit, type AuditEntry } from '../../db/audit.js';
import { uuidv7 } from '../../domain/ids.js';
import { unavailable, unprocessable } from '../../domain/errors.js';
import type { Services } from '../../platform/services.js';
import type { TReportDeliveryInput } from '../../workflows/reports.js';
import { VigilAccountId, VigilReportId } from '../../workflows/search-attributes.js';
import { verifiedRecipients } from './recipient-views.js';
import { getReport } from './report-views.js';

/**
 * Send Now (manual: Custom reports only): starts the delivery workflow at once with its own id, so each press is
 * its own delivery. 422 for other types or without a verified recipient; 503 when Temporal cannot be reached.
 * `admit` sees the addresses first, so the caller's mail throttle can refuse before anything starts.
 */
export async function sendReportNow(
  services: Pick<Services, 'db' | 'temporal' | 'taskQueues' | 'logger'>,
  actor: Pick<AuditEntry, 'accountId' | 'actor' | 'requestId'>,
  opts: { id: string; admit?: (emails: string[]) => void },
): Promise<{ workflowId: string; runId: string }> {
  const report = await getReport(services.db, actor.accountId, opts.id);
  if (report.type !== 'custom') {
    throw unprocessable(
      'Send Now works only for Custom reports; Daily, Weekly and Monthly reports follow their schedule',
    );
  }
  const verified = await verifiedRecipients(services.db, report.accountId, report.recipients);
  if (verified.length === 0)
    throw unprocessable('the report has no verified recipient; nothing would be sent');
  opts.admit?.(verified.map((r) => r.email));
  const sendId = uuidv7();
  const workflowId = `report:${report.id}:now-${sendId}`;
  const input: TReportDeliveryInput = {
    accountId: report.accountId,
    reportId: report.id,
    trigger: 'sendNow',
    sendId,
    requestedAt: new Date().toISOString(),
  };
  await recordAudit(services.db, {
    ...actor,
    action: 'report.send',
    targetType: 'report',
    targetId: report.id,
    after: { workflowId },
  });
  const handle = await services.temporal.workflow
    .start('reportDeliveryWorkflow', {
      workflowId,
      taskQueue: services.taskQueues.reports,
      args: [input],
      staticSummary: `Send Now: custom security report "${report.name}"`.slice(0, 200),
      staticDetails: `Report \`${report.id}\`: GET /v1/reports/${report.id}/deliveries`,
      typedSearchAttributes: [
        { key: VigilAccountId, value: report.accountId },
        { key: VigilReportId, value: report.id },
      ],
    })
    .catch((err: unknown) => {
      services.logger.error({ err, reportId: report.id }, 'could not start the report delivery');
      throw unavailable('Temporal is not reachable; the report was not sent, try again');
    });
  return { workflowId, runId: handle.firstExecutionRunId };
}
