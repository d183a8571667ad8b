import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  TimeoutFailure,
} from '@temporalio/workflow';
import type { AgentActivities, AgentJobKind, AgentJobResult } from '../../activities/agents/run-agent-job.js';
import type {
  AssetEnd,
  PlaybookActivities,
  StepEnd,
  StepKeys,
  VulnerabilityToFix,
} from '../../activities/playbook/task-activities.js';
import { hostError, type AssetEndVerdict } from '../../domain/playbook/asset-outcome.js';
import { assetDetails } from '../../domain/playbook/temporal-details.js';
import type { StepKind } from '../../domain/playbook/status.js';
import { errorMessage } from '../../domain/errors.js';
import type { AssetRunParams } from './messages.js';

/** DB bookkeeping runs as local activities: one marker event each instead of three history events. */
const db = proxyLocalActivities<PlaybookActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', maximumAttempts: 20 },
});

/**
 * Since this patch a host step is one activity (`playbookRunStep`: the ends of the steps before it, its own start and
 * its agent job) and the last steps' ends go with the asset's end: 2 bookkeeping local activities per asset instead
 * of 2 + 2 per step. Histories from before it replay the old sequence.
 */
export const STEP_ACTIVITY_PATCH = 'playbook-step-activity';

const { cancelAgentJobs } = proxyActivities<AgentActivities>({
  startToCloseTimeout: '60s',
  retry: { maximumAttempts: 10 },
  summary: 'cancel the asset’s agent jobs',
});

/** Longest a single host step may take (package downloads, Windows updates). */
const STEP_START_TO_CLOSE = '2h';
/**
 * Activity attempts per agent job. Attempts share one job (same job key), so a retry re-attaches to the job instead
 * of running the host work again — this covers a worker that dies between recording the job and handing it over.
 */
const AGENT_JOB_ATTEMPTS = 2;

export interface StepOutcome {
  ok: boolean;
  result: AgentJobResult | null;
  error: string | null;
}

export interface HostStep {
  kind: StepKind;
  jobKind: AgentJobKind;
  vulnerability?: VulnerabilityToFix;
  attempt?: number;
  summary: string;
  payload: Record<string, unknown>;
  /** Reads a finished job's result: an error makes the step fail even though the job itself succeeded. */
  judge?: (result: AgentJobResult) => string | null;
}

/** How one step reaches the host and records its end: the two step protocols below. */
interface StepProtocol {
  runJob: () => Promise<AgentJobResult>;
  end: (status: StepEnd['status'], result: AgentJobResult | null, error: string | null) => Promise<void>;
}

type StepKey = Pick<StepEnd, 'kind' | 'vulnerabilityId' | 'attempt'>;
interface JobSpec {
  kind: AgentJobKind;
  jobKey: string;
  payload: Record<string, unknown>;
  group: string;
  summary: string;
}

/** Why an activity failed, in an operator's words. */
function describeFailure(err: unknown): string {
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
    if (cause instanceof TimeoutFailure) {
      return cause.timeoutType === 'HEARTBEAT'
        ? 'the agent stopped sending heartbeats (agent dead or disconnected)'
        : `the step timed out (${cause.timeoutType})`;
    }
    if (cause instanceof ApplicationFailure) return cause.message;
    return cause?.message ?? err.message;
  }
  return errorMessage(err);
}

/**
 * The steps of one asset's run (DESIGN §5: every step a `task_steps` row) and the asset's end, under the step
 * protocol its history was recorded with (`STEP_ACTIVITY_PATCH`).
 */
export class AssetSteps {
  readonly folded = patched(STEP_ACTIVITY_PATCH);
  private readonly lines: [string, string][] = [];
  /**
   * Step ends not known to be written yet (folded histories): they go with the next step's activity, which writes
   * them before it begins its own step, or with the asset's end. An activity that failed or was cancelled may not have
   * written them, so they are sent again (writing an end twice changes nothing).
   */
  private endsToWrite: StepEnd[] = [];

  constructor(
    private readonly keys: StepKeys,
    private readonly assetName: string,
    private readonly run: AssetRunParams,
  ) {}

  get group(): string {
    return `playbook-task:${this.keys.taskId}`;
  }

  /** The server precheck: the asset starts running; its vulnerabilities still present, and its agent's state. */
  begin() {
    return db.playbookBeginAsset(this.keys);
  }

  /**
   * Folded histories cancel their own agent jobs when their cancellation is requested (window end, the task's cancel,
   * the Temporal UI): pending ones end at once and running ones hear it on their next heartbeat, so claims need not
   * ask Temporal. A regular activity, scheduled after the activity cancellations the same workflow task requests.
   * Undefined for histories from before STEP_ACTIVITY_PATCH.
   */
  cancelJobsWhenCancelled(): Promise<unknown> | undefined {
    if (!this.folded) return undefined;
    const { accountId, assetId } = this.keys;
    return CancellationScope.current().cancelRequested.catch(() =>
      CancellationScope.nonCancellable(() => cancelAgentJobs({ accountId, group: this.group, assetId })),
    );
  }

  /** One line more of the asset's progress table in the Temporal UI. */
  show(step: string, status: string): void {
    this.lines.push([step, status]);
    setCurrentDetails(assetDetails(this.assetName, this.lines));
  }

  /** Writes the step ends still waiting (before continuing as new). */
  async flushEnds(): Promise<void> {
    if (this.endsToWrite.length > 0) await db.playbookEndSteps({ ...this.keys, ends: this.endsToWrite });
    this.endsToWrite = [];
  }

  /** Runs one host step to its outcome; a cancellation ends the step cancelled and propagates. */
  async step(o: HostStep): Promise<StepOutcome> {
    const { taskId, execution, assetId } = this.keys;
    const attempt = o.attempt ?? 1;
    const vulnerabilityId = o.vulnerability?.vulnerabilityId ?? '';
    const key: StepKey = { kind: o.kind, vulnerabilityId, attempt };
    const job: JobSpec = {
      kind: o.jobKind,
      jobKey: `${taskId}:${execution}:${assetId}:${vulnerabilityId || '-'}:${o.kind}:${attempt}`,
      payload: o.payload,
      group: this.group,
      summary: o.summary,
    };
    const { runJob, end } = this.folded ? this.foldedStep(key, job) : await this.legacyStep(key, job);
    try {
      const result = await runJob();
      const verdict = result.status === 'succeeded' ? (o.judge?.(result) ?? null) : null;
      const ok = result.status === 'succeeded' && verdict === null;
      const error = ok ? null : (verdict ?? hostError(result) ?? `exit code ${result.exitCode}`);
      await end(ok ? 'succeeded' : 'failed', result, error);
      this.show(o.summary, ok ? 'succeeded' : `failed (${error})`);
      return { ok, result, error };
    } catch (err) {
      if (isCancellation(err)) {
        await CancellationScope.nonCancellable(() => end('cancelled', null, 'cancelled'));
        throw err;
      }
      const error = describeFailure(err);
      await end('failed', null, error);
      this.show(o.summary, `failed (${error})`);
      return { ok: false, result: null, error };
    }
  }

  /** The asset's end with its vulnerabilities' outcomes (and, folded, the last steps' ends). */
  async finish<R extends AssetEndVerdict | { status: 'Cancelled'; reason: null }>(
    verdict: R,
    fixed: string[],
    failed: string[],
    dryRun = false,
  ): Promise<R> {
    const asset: AssetEnd = {
      ...verdict,
      fixedVulnerabilityIds: fixed,
      failedVulnerabilityIds: failed,
      ...(dryRun ? { dryRun } : {}),
    };
    if (this.folded) await db.playbookEndSteps({ ...this.keys, ends: this.endsToWrite, asset });
    else await db.playbookEndAsset({ ...this.keys, ...asset });
    this.endsToWrite = [];
    return verdict;
  }

  private hostStepOptions(summary: string) {
    return {
      startToCloseTimeout: STEP_START_TO_CLOSE,
      heartbeatTimeout: this.run.heartbeatTimeoutSeconds * 1000,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry: { maximumAttempts: AGENT_JOB_ATTEMPTS, initialInterval: '1s' },
      summary,
    };
  }

  /**
   * The step protocol since STEP_ACTIVITY_PATCH: one activity writes the earlier ends, begins the step and runs its
   * job; this step's own end waits to go with the next activity or the asset's end.
   */
  private foldedStep(key: StepKey, job: JobSpec): StepProtocol {
    const earlier = this.endsToWrite;
    let earlierWritten = false;
    return {
      runJob: async () => {
        const result = await proxyActivities<PlaybookActivities>(
          this.hostStepOptions(job.summary),
        ).playbookRunStep({
          ...this.keys,
          ends: earlier,
          begin: { ...key, summary: job.summary },
          job: { ...job, cancelPushed: true },
        });
        earlierWritten = true;
        return result;
      },
      end: (status, result, error) => {
        const mine = {
          ...key,
          status,
          jobId: result?.jobId ?? null,
          exitCode: result?.exitCode ?? null,
          error,
        };
        this.endsToWrite = earlierWritten ? [mine] : [...earlier, mine];
        return Promise.resolve();
      },
    };
  }

  /** The step protocol of histories from before STEP_ACTIVITY_PATCH: begin, job and end as three activities. */
  private async legacyStep(key: StepKey, job: JobSpec): Promise<StepProtocol> {
    const { stepId } = await db.playbookBeginStep({ ...this.keys, ...key, summary: job.summary });
    const { accountId, assetId } = this.keys;
    return {
      runJob: () =>
        proxyActivities<AgentActivities>(this.hostStepOptions(job.summary)).runAgentJob({
          accountId,
          assetId,
          ...job,
        }),
      end: (status, result, error) =>
        db.playbookEndStep({ ...this.keys, stepId, kind: key.kind, status, result, error }),
    };
  }
}
