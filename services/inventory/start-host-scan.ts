import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import type { Services } from '../../platform/services.js';
import { uuidv7 } from '../../domain/ids.js';
import { VigilAccountId } from '../../workflows/search-attributes.js';

export type ScanServices = Pick<Services, 'temporal' | 'taskQueues' | 'publicUrl'>;

interface ScanTarget {
  accountId: string;
  assetId: string;
  assetName: string;
}

/** Starts one scan of a host now (`POST /v1/assets/{id}/scan`); its workflow shows in the Temporal UI. */
export async function startHostScan(services: ScanServices, t: ScanTarget): Promise<{ workflowId: string }> {
  const workflowId = `host-scan:${t.assetId}:on-demand-${uuidv7()}`;
  await services.temporal.workflow.start('hostScanWorkflow', {
    workflowId,
    taskQueue: services.taskQueues.playbook,
    args: [{ ...t, reason: 'on-demand' }],
    staticSummary: `Scan ${t.assetName} for missing updates (on demand)`,
    staticDetails: `Asset \`${t.assetId}\`: ${services.publicUrl}/v1/vulnerabilities?assetId=${t.assetId}`,
    typedSearchAttributes: [{ key: VigilAccountId, value: t.accountId }],
  });
  return { workflowId };
}

/**
 * Starts the host's scan loop when its agent enrolls: a scan at once, then one per scan cycle. An agent that enrolls
 * again finds its loop running and keeps it.
 */
export async function startHostScanCycle(
  services: ScanServices,
  t: ScanTarget,
): Promise<{ workflowId: string }> {
  const workflowId = `host-scan-cycle:${t.assetId}`;
  try {
    await services.temporal.workflow.start('hostScanCycleWorkflow', {
      workflowId,
      taskQueue: services.taskQueues.playbook,
      args: [t],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      staticSummary: `Scan ${t.assetName} for missing updates: at enrollment, then every scan cycle`,
      typedSearchAttributes: [{ key: VigilAccountId, value: t.accountId }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return { workflowId };
}

/** Starts the host's baseline check loop when its agent enrolls (kept if it already runs). */
export async function startBaselineCheckCycle(
  services: ScanServices,
  t: ScanTarget,
): Promise<{ workflowId: string }> {
  const workflowId = `baseline-check-cycle:${t.assetId}`;
  try {
    await services.temporal.workflow.start('baselineCheckCycleWorkflow', {
      workflowId,
      taskQueue: services.taskQueues.playbook,
      args: [t],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      staticSummary: `Baseline checks of ${t.assetName}: each policy on its cycle, at its start hour`,
      staticDetails: `Asset \`${t.assetId}\`: ${services.publicUrl}/v1/baseline-checks?assetId=${t.assetId}`,
      typedSearchAttributes: [{ key: VigilAccountId, value: t.accountId }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return { workflowId };
}

/** Starts the account's daily deletion of findings not seen again for `deleteAfterDays` (kept if it runs). */
export async function startFindingRetention(
  services: ScanServices,
  accountId: string,
): Promise<{ workflowId: string }> {
  const workflowId = `finding-retention:${accountId}`;
  try {
    await services.temporal.workflow.start('findingRetentionWorkflow', {
      workflowId,
      taskQueue: services.taskQueues.playbook,
      args: [{ accountId }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      staticSummary: 'Delete vulnerabilities not detected again for deleteAfterDays (daily)',
      typedSearchAttributes: [{ key: VigilAccountId, value: accountId }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return { workflowId };
}
