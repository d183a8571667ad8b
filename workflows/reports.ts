import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { ReportActivities } from '../activities/reports/delivery.js';
import { reportPeriod } from '../domain/reports/period.js';

export interface TReportDeliveryInput {
  accountId: string;
  reportId: string;
  trigger: 'schedule' | 'sendNow';
  /** Send Now: its id, so each press of the button is its own delivery period key. */
  sendId?: string;
  /** Send Now: when it was requested (ISO); scheduled runs take the schedule's nominal time instead. */
  requestedAt?: string;
}

export interface TReportDeliveryResult {
  status: 'delivered' | 'skipped';
  reason?: string;
  periodKey?: string;
  sent: number;
  alreadySent: number;
  notSent: number;
}

/** Set by the Schedule on every run it starts: the nominal (pre-jitter) time, the documented way to get the period. */
const TemporalScheduledStartTime = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);

const { loadReportPlan, gatherReportStats, renderReportRun, markScheduledSend } =
  proxyActivities<ReportActivities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
  });

const { sendReportMail } = proxyActivities<ReportActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 8 },
});

/**
 * One report for one period (DESIGN §7): the period from the scheduled start time → statistics → MJML render →
 * one send per verified recipient, each guarded by the delivery ledger so nothing is sent twice.
 */
export async function reportDeliveryWorkflow(input: TReportDeliveryInput): Promise<TReportDeliveryResult> {
  const info = workflowInfo();
  const scheduledAt =
    input.trigger === 'sendNow' && input.requestedAt
      ? new Date(input.requestedAt)
      : (info.typedSearchAttributes.get(TemporalScheduledStartTime) ?? info.startTime);
  const none = { sent: 0, alreadySent: 0, notSent: 0 };

  const plan = await loadReportPlan.executeWithOptions({ summary: 'load the report definition' }, [
    { accountId: input.accountId, reportId: input.reportId },
  ]);
  if (!plan) return { status: 'skipped', reason: 'the report no longer exists', ...none };
  if (input.trigger === 'schedule' && !plan.enabled)
    return { status: 'skipped', reason: 'the report is disabled', ...none };
  // Manual: a Custom report is sent within its Report Time once; afterwards only Send Now sends it again.
  const customOnce = input.trigger === 'schedule' && plan.type === 'custom';
  if (customOnce && plan.scheduledSendAt !== null) {
    return { status: 'skipped', reason: 'already sent once in its Report Time; use Send Now', ...none };
  }

  const period = reportPeriod({
    type: plan.type,
    timeZone: plan.timeZone,
    scheduledAt,
    customPeriod: plan.customPeriod
      ? { start: new Date(plan.customPeriod.start), end: new Date(plan.customPeriod.end) }
      : null,
  });
  const periodKey =
    input.trigger === 'sendNow' && input.sendId ? `${period.key}#send:${input.sendId}` : period.key;
  setCurrentDetails(`**${plan.name}** — period ${period.label} (${period.timeZone}): gathering statistics`);

  const stats = await gatherReportStats.executeWithOptions({ summary: `statistics for ${period.label}` }, [
    {
      accountId: input.accountId,
      items: plan.items,
      period,
      assetGroupId: plan.assetGroupId,
      minSeverity: plan.minSeverity,
      consolidated: plan.consolidated,
    },
  ]);
  const run = await renderReportRun.executeWithOptions({ summary: `render ${plan.language} report` }, [
    {
      accountId: input.accountId,
      reportId: input.reportId,
      periodKey,
      trigger: input.trigger,
      workflowId: info.workflowId,
      stats,
    },
  ]);

  const claimant = `${info.workflowId}/${info.runId}`;
  const outcomes = await Promise.all(
    run.recipients.map((r) =>
      sendReportMail.executeWithOptions({ summary: `send to recipient ${r.id}` }, [
        { runId: run.runId, recipientId: r.id, claimant },
      ]),
    ),
  );
  if (customOnce) {
    await markScheduledSend.executeWithOptions({ summary: 'mark the one Report Time send done' }, [
      { accountId: input.accountId, reportId: input.reportId, workflowId: info.workflowId },
    ]);
  }
  const result: TReportDeliveryResult = {
    status: 'delivered',
    periodKey,
    sent: outcomes.filter((o) => o === 'sent').length,
    alreadySent: outcomes.filter((o) => o === 'alreadySent').length,
    notSent: outcomes.filter((o) => o === 'notVerified' || o === 'claimedElsewhere').length,
  };
  setCurrentDetails(
    [
      `**${plan.name}** — period ${period.label} (${period.timeZone})`,
      '',
      '| sent | already sent | not sent |',
      '|---|---|---|',
      `| ${result.sent} | ${result.alreadySent} | ${result.notSent} |`,
    ].join('\n'),
  );
  return result;
}
