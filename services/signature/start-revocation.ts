import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { revocationWorkflowId } from '../../domain/signature/rules.js';
import { VigilAccountId } from '../../workflows/search-attributes.js';
import type { RevocationScope } from './reevaluate-trusted-images.js';

/**
 * Starts the revocation workflow with its deterministic id. Disabling is idempotent, so a caller that crashed
 * between the database change and this start repairs it by repeating the disable call.
 */
export async function startSignatureRevocation(
  services: { temporal: Client; taskQueues: { signature: string }; publicUrl: string },
  scope: RevocationScope & { witnessName: string },
): Promise<string> {
  const workflowId = revocationWorkflowId(scope.witnessId, scope.version ?? 'all');
  const subject =
    scope.version === null
      ? `witness "${scope.witnessName}"`
      : `key version ${scope.version} of witness "${scope.witnessName}"`;
  try {
    await services.temporal.workflow.start('signatureRevocationWorkflow', {
      workflowId,
      taskQueue: services.taskQueues.signature,
      args: [
        {
          accountId: scope.accountId,
          witnessId: scope.witnessId,
          version: scope.version,
          witnessName: scope.witnessName,
        },
      ],
      typedSearchAttributes: [{ key: VigilAccountId, value: scope.accountId }],
      staticSummary: `Revoke Trusted Image labels earned through ${subject}`,
      staticDetails: `Re-verifies every image trusted through ${subject} and removes the label where no enabled key vouches for it.\n\nWitness: ${services.publicUrl}/v1/signature/witnesses/${scope.witnessId}`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return workflowId;
}
