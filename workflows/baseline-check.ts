import {
  ActivityCancellationType,
  continueAsNew,
  executeChild,
  proxyActivities,
  setCurrentDetails,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { AgentActivities } from '../activities/agents/run-agent-job.js';
import type {
  BaselineCheckOutcome,
  HostScanActivities,
} from '../activities/inventory/host-scan-activities.js';
import { errorMessage } from '../domain/errors.js';

export interface BaselineCheckInput {
  accountId: string;
  assetId: string;
  assetName: string;
  policyName: string;
  checkItems: string[];
  /** `cycle` or `on-demand` (the audit actor). */
  reason: string;
  /** When the check counts as run (the cycle's clock); default: when its result is recorded. */
  checkedAt?: number;
}

export interface BaselineCheckResult extends BaselineCheckOutcome {
  jobId: string;
}

const acts = proxyActivities<HostScanActivities>({
  startToCloseTimeout: '2m',
  retry: { maximumAttempts: 10 },
});

/**
 * One baseline check of a host (issue 16): the agent evaluates the policy's SSG rules with OpenSCAP; failed rules
 * become baseline risks, passed rules close earlier ones, and a host that cannot check says why.
 */
export async function baselineCheckWorkflow(input: BaselineCheckInput): Promise<BaselineCheckResult> {
  const { runAgentJob } = proxyActivities<AgentActivities>({
    startToCloseTimeout: '1h',
    heartbeatTimeout: '2m',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { maximumAttempts: 2, initialInterval: '1s' },
    summary: `baseline check "${input.policyName}" on ${input.assetName}`,
  });
  setCurrentDetails(`**${input.assetName}**: waiting for the agent's OpenSCAP run of "${input.policyName}"`);
  const job = await runAgentJob({
    accountId: input.accountId,
    assetId: input.assetId,
    kind: 'baseline',
    jobKey: `baseline:${workflowInfo().workflowId}`,
    payload: { policyName: input.policyName, checkItems: input.checkItems },
    group: `baseline-check:${input.assetId}`,
    summary: `baseline check "${input.policyName}" on ${input.assetName}`,
  });
  if (job.status !== 'succeeded') {
    setCurrentDetails(`**${input.assetName}**: the baseline check ${job.status} (exit code ${job.exitCode})`);
    throw new Error(`the agent's baseline check ${job.status} (exit code ${job.exitCode})`);
  }
  const outcome = await acts.recordBaselineCheck({
    accountId: input.accountId,
    jobId: job.jobId,
    policyName: input.policyName,
    actor: `agent-baseline:${input.reason}`,
    now: input.checkedAt ?? Date.now(),
  });
  setCurrentDetails(
    outcome.status === 'unsupported'
      ? `**${input.assetName}**: not checked — the host cannot run OpenSCAP checks`
      : [
          `**${input.assetName}** — "${input.policyName}": ${outcome.failed} failed, ${outcome.passed} passed`,
          '',
          `- new risks: **${outcome.opened}**`,
          `- closed (rule passes now): **${outcome.closed}**`,
        ].join('\n'),
  );
  return { ...outcome, jobId: job.jobId };
}

const ROUNDS_PER_RUN = 50;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface BaselineCheckCycleInput {
  accountId: string;
  assetId: string;
  assetName: string;
  round?: number;
  /**
   * A clock of its own (tests): the loop starts at `startAt` and a day lasts `dayMs`; timers are scaled alike.
   * Without it the workflow's own time is used.
   */
  clock?: { startAt: number; dayMs: number };
}

/**
 * A host's baseline checks for as long as it has an agent: the account's policies that cover the host, each on its
 * `cycleDays` at `startHour` in the account's time zone (read again every round, so a settings change applies at
 * the next round). A check that failed (agent offline) is retried after an hour.
 */
export async function baselineCheckCycleWorkflow(input: BaselineCheckCycleInput): Promise<void> {
  const first = input.round ?? 0;
  const origin = Date.now();
  const scale = input.clock ? input.clock.dayMs / DAY_MS : 1;
  const now = () => (input.clock ? input.clock.startAt + (Date.now() - origin) / scale : Date.now());
  const target = { accountId: input.accountId, assetId: input.assetId, assetName: input.assetName };
  let since = now();
  for (let round = first; round < first + ROUNDS_PER_RUN; round++) {
    const at = now();
    const plan = await acts.baselinePlan({ ...target, now: at, since });
    since = at;
    let failed = false;
    for (const [i, p] of plan.due.entries()) {
      await executeChild(baselineCheckWorkflow, {
        workflowId: `baseline-check:${input.assetId}:round-${round}-${i}`,
        args: [
          {
            ...target,
            policyName: p.policyName,
            checkItems: p.checkItems,
            reason: 'cycle',
            checkedAt: now(),
          },
        ],
        staticSummary: `Baseline check "${p.policyName}" on ${input.assetName}`,
      }).catch((err: unknown) => {
        failed = true;
        setCurrentDetails(`baseline check "${p.policyName}" failed: ${errorMessage(err)}`);
      });
    }
    if (plan.due.length > 0 && !failed) continue; // plan again: the next runs count from these checks
    const untilNext = plan.nextAt === null ? DAY_MS : Math.max(plan.nextAt - now(), 60_000);
    const wait = failed ? Math.min(untilNext, HOUR_MS) : untilNext;
    if (plan.nextAt === null && plan.due.length === 0)
      setCurrentDetails(`no baseline policy covers ${input.assetName}; looking again in a day`);
    await sleep(Math.max(1, Math.round(wait * scale)), {
      summary: failed ? 'retry the failed baseline check' : `next baseline check (${plan.timeZone})`,
    });
  }
  await continueAsNew<typeof baselineCheckCycleWorkflow>({
    ...input,
    round: first + ROUNDS_PER_RUN,
    ...(input.clock ? { clock: { ...input.clock, startAt: now() } } : {}),
  });
}
