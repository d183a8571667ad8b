import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { AgentActivities, AgentJobRequest, AgentJobResult } from '../activities/agents/run-agent-job.js';

export interface RunAgentJobWorkflowInput extends AgentJobRequest {
  /** How long the agent may stay silent before the step fails (default 30 s). */
  heartbeatTimeoutMs?: number;
  /** Upper bound for the whole job (default 1 h). */
  startToCloseTimeoutMs?: number;
  /** Activity attempts; the job key makes every attempt share one job (default 1). */
  maximumAttempts?: number;
}

/**
 * One agent job as a workflow of its own: for operators who want a single host action (a scan, a configure) with
 * the usual Temporal visibility, and for tests of the agent protocol.
 */
export async function runAgentJobWorkflow(input: RunAgentJobWorkflowInput): Promise<AgentJobResult> {
  const {
    heartbeatTimeoutMs = 30_000,
    startToCloseTimeoutMs = 3_600_000,
    maximumAttempts = 1,
    ...req
  } = input;
  const { runAgentJob } = proxyActivities<AgentActivities>({
    heartbeatTimeout: heartbeatTimeoutMs,
    startToCloseTimeout: startToCloseTimeoutMs,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { maximumAttempts, initialInterval: '1s' },
    summary: req.summary ?? `${req.kind} on asset ${req.assetId}`,
  });
  return runAgentJob(req);
}
