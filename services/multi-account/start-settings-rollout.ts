import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Services } from '../../platform/services.js';
import { memberSettingsWorkflowId } from '../../domain/multi-account/rollout.js';
import { VigilAccountId, VigilMemberId } from '../../workflows/search-attributes.js';
import { markRolloutStarted } from './rollout-state.js';

export type RolloutServices = Pick<Services, 'temporal' | 'taskQueues' | 'db' | 'publicUrl' | 'logger'>;

/**
 * Starts the rollout of a saved revision (idempotent: the deterministic id rejects a duplicate) and cancels the
 * previous revision's rollout so that it stops pushing older settings.
 */
export async function startMemberSettingsRollout(
  services: RolloutServices,
  opts: { memberId: string; memberName: string; revision: number; adminAccountId: string },
): Promise<{ workflowId: string }> {
  const { memberId, revision } = opts;
  const workflowId = memberSettingsWorkflowId(memberId, revision);
  if (revision > 1) {
    try {
      await services.temporal.workflow.getHandle(memberSettingsWorkflowId(memberId, revision - 1)).cancel();
    } catch (err) {
      // Already finished, never started, or cancelled before: nothing to stop (it also stops itself when superseded).
      if (!(err instanceof WorkflowNotFoundError))
        services.logger.warn({ err, memberId, revision }, 'could not cancel the previous settings rollout');
    }
  }
  try {
    await services.temporal.workflow.start('memberSettingsRollout', {
      workflowId,
      taskQueue: services.taskQueues.accounts,
      args: [{ memberId, revision }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      staticSummary: `Apply protection settings revision ${revision} to member ${opts.memberName}`,
      staticDetails: [
        `Member account \`${memberId}\`, revision ${revision}, saved by administrator account \`${opts.adminAccountId}\`.`,
        '',
        `Progress and drift: ${services.publicUrl}/v1/multi-account/members/${memberId}/settings`,
      ].join('\n'),
      typedSearchAttributes: [
        { key: VigilAccountId, value: memberId },
        { key: VigilMemberId, value: memberId },
      ],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  await markRolloutStarted(services.db, memberId, revision);
  return { workflowId };
}
