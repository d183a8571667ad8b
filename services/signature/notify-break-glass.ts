import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { BreakGlassEvent } from '../../domain/signature/break-glass.js';
import { breakGlassWorkflowId } from '../../domain/signature/rules.js';
import type { Services } from '../../platform/services.js';
import { VigilAccountId } from '../../workflows/search-attributes.js';

export type { BreakGlassEvent };

/** The audit action of a break-glass admission; its row is also the notification's outbox. */
export const BREAK_GLASS_AUDIT_ACTION = 'signature.admission.break_glass';

/**
 * Starts the break-glass notification workflow under its deterministic id. A second start for the same Pod (the
 * kube-apiserver retrying the review, another replica answering it, the outbox repair) is refused by the id,
 * running or closed. True when this call started it.
 */
export async function notifyBreakGlass(
  services: Pick<Services, 'temporal' | 'taskQueues' | 'publicUrl'>,
  event: BreakGlassEvent,
): Promise<boolean> {
  try {
    await services.temporal.workflow.start('signatureBreakGlassWorkflow', {
      workflowId: breakGlassWorkflowId(event.clusterId, event.podOrRequestUid),
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      taskQueue: services.taskQueues.signature,
      args: [event],
      typedSearchAttributes: [{ key: VigilAccountId, value: event.accountId }],
      staticSummary: `Notify: break-glass admitted ${event.kind} ${event.namespace}/${event.name}`,
      staticDetails: `${event.user} admitted ${event.kind} ${event.namespace}/${event.name} with the break-glass annotation ("${event.justification}").\n\nCluster: ${services.publicUrl}/v1/clusters/${event.clusterId}`,
    });
    return true;
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return false;
  }
}
