import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { BreakGlassEvent } from '../domain/signature/break-glass.js';
import { breakGlassMessage } from '../domain/signature/break-glass.js';

/** The notification capability's activity, by its registered name (the notifications feature owns it). */
interface NotificationActivities {
  sendNotification(input: {
    accountId: string;
    dedupeKey: string;
    message: { title: string; markdown: string; text: string };
  }): Promise<{ results: { channelId: string; status: string; detail: string }[] }>;
}

const notifications = proxyActivities<NotificationActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 5 },
});

/**
 * `signature-break-glass:{clusterId}:{podUid|requestUid}`: tells the account's notification channels that a
 * break-glass annotation admitted a Pod its policies deny. The id makes a retried AdmissionReview start nothing
 * new; the dedupe key (the id) makes a retried activity send nothing twice.
 */
export async function signatureBreakGlassWorkflow(
  event: BreakGlassEvent,
): Promise<{ channels: number; sent: number }> {
  const { results } = await notifications.sendNotification({
    accountId: event.accountId,
    dedupeKey: workflowInfo().workflowId,
    message: breakGlassMessage(event),
  });
  return { channels: results.length, sent: results.filter((r) => r.status === 'sent').length };
}
