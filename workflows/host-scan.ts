import {
  ActivityCancellationType,
  continueAsNew,
  executeChild,
  patched,
  proxyActivities,
  setCurrentDetails,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { AgentActivities } from '../activities/agents/run-agent-job.js';
import type { HostScanActivities, HostScanOutcome } from '../activities/inventory/host-scan-activities.js';
import { errorMessage } from '../domain/errors.js';

export interface HostScanInput {
  accountId: string;
  assetId: string;
  assetName: string;
  /** Why it runs: `enroll`, `cycle` or `on-demand` (shown in the Temporal UI and the audit actor). */
  reason: string;
}

export interface HostScanResult extends HostScanOutcome {
  jobId: string;
}

const reconcile = proxyActivities<HostScanActivities>({
  startToCloseTimeout: '2m',
  retry: { maximumAttempts: 10 },
});

/**
 * One detection scan of a host (DESIGN §5 "Detection"): the asset's agent inventories what its package manager
 * says is missing, then the findings become the asset's vulnerabilities (new ones opened, gone ones closed).
 */
export async function hostScanWorkflow(input: HostScanInput): Promise<HostScanResult> {
  const { runAgentJob } = proxyActivities<AgentActivities>({
    startToCloseTimeout: '1h',
    heartbeatTimeout: '2m',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { maximumAttempts: 2, initialInterval: '1s' },
    summary: `scan ${input.assetName} for missing updates (${input.reason})`,
  });
  setCurrentDetails(`**${input.assetName}**: waiting for the agent's scan`);
  const job = await runAgentJob({
    accountId: input.accountId,
    assetId: input.assetId,
    kind: 'scan',
    jobKey: `scan:${workflowInfo().workflowId}`,
    payload: {},
    group: `host-scan:${input.assetId}`,
    summary: `scan ${input.assetName} for missing updates`,
  });
  if (job.status !== 'succeeded') {
    setCurrentDetails(`**${input.assetName}**: the agent's scan ${job.status} (exit code ${job.exitCode})`);
    throw new Error(`the agent's scan ${job.status} (exit code ${job.exitCode})`);
  }
  const outcome = await reconcile.hostScanReconcile({
    accountId: input.accountId,
    jobId: job.jobId,
    actor: `agent-scan:${input.reason}`,
  });
  setCurrentDetails(
    [
      `**${input.assetName}**: ${outcome.reported} missing updates reported`,
      '',
      `- new: **${outcome.created}**`,
      `- still missing: **${outcome.updated}**`,
      `- closed (fixed outside Vigil): **${outcome.closed}**`,
    ].join('\n'),
  );
  return { ...outcome, jobId: job.jobId };
}

/** Cycles before the scan loop continues as new (each cycle is a child and a timer: a handful of events). */
const CYCLES_PER_RUN = 50;
const DAY_MS = 86_400_000;

export interface HostScanCycleInput extends Omit<HostScanInput, 'reason'> {
  cycle?: number;
  /** Length of a "day" of `scanCycleDays` (tests observe the cadence with a short one); default 24 h. */
  dayMs?: number;
}

/**
 * A host's scans for as long as it has an agent, driven by the account's effective protection settings (issue 16):
 * before every cycle it reads whether Linux vulnerabilities are scanned automatically and whether this host is
 * among the scanned assets, scans if so, then waits `scanCycleDays`. A settings change applies from the next cycle.
 */
export async function hostScanCycleWorkflow(input: HostScanCycleInput) {
  const first = input.cycle ?? 0;
  const dayMs = input.dayMs ?? DAY_MS;
  for (let cycle = first; cycle < first + CYCLES_PER_RUN; cycle++) {
    // Loops started before the settings drove them scan first and read only the cycle after.
    if (!patched('host-scan-settings-plan')) {
      await legacyCycle(input, cycle, dayMs);
      continue;
    }
    const plan = await reconcile.hostScanPlan({ accountId: input.accountId, assetId: input.assetId });
    const from = plan.revision === null ? 'default settings' : `settings revision ${plan.revision}`;
    if (plan.scan) {
      await scanOnce(input, cycle);
    } else {
      setCurrentDetails(`cycle ${cycle}: **not scanned** — ${plan.reason ?? 'off'} (${from})`);
    }
    await sleep(plan.cycleDays * dayMs, {
      summary: `next scan cycle in ${plan.cycleDays} days (scanCycleDays, ${from})`,
    });
  }
  await continueAsNew<typeof hostScanCycleWorkflow>({ ...input, cycle: first + CYCLES_PER_RUN });
}

/** One cycle as loops recorded before `host-scan-settings-plan` ran it (replay only). */
async function legacyCycle(input: HostScanCycleInput, cycle: number, dayMs: number): Promise<void> {
  await scanOnce(input, cycle);
  const days = await reconcile.hostScanCycleDays({ accountId: input.accountId });
  await sleep(days * dayMs, { summary: `next scan in ${days} days (scanCycleDays)` });
}

/** The cycle's scan as a child workflow. */
async function scanOnce(input: HostScanCycleInput, cycle: number): Promise<void> {
  await executeChild(hostScanWorkflow, {
    workflowId: `host-scan:${input.assetId}:cycle-${cycle}`,
    args: [
      {
        accountId: input.accountId,
        assetId: input.assetId,
        assetName: input.assetName,
        reason: cycle === 0 ? 'enroll' : 'cycle',
      },
    ],
    staticSummary: `Scan ${input.assetName} for missing updates (${cycle === 0 ? 'enrollment' : `cycle ${cycle}`})`,
  }).catch((err: unknown) => {
    // A failed scan (agent offline, package manager broken) waits for the next cycle instead of ending the loop.
    setCurrentDetails(`scan ${cycle} failed: ${errorMessage(err)}`);
  });
}
