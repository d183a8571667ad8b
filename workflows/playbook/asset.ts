import { assetDetails } from '../../domain/playbook/temporal-details.js';
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { AgentActivities, AgentJobKind, AgentJobResult } from '../../activities/agents/run-agent-job.js';
import type {
  AssetEnd,
  PlaybookActivities,
  StepEnd,
  VulnerabilityToFix,
} from '../../activities/playbook/task-activities.js';
import { ASSET_REASONS, type StepKind } from '../../domain/playbook/status.js';
import type { FixAssetInput, FixAssetResult } from './messages.js';
import { errorMessage } from '../../domain/errors.js';

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

/**
 * Events after which an asset's run continues as new between two vulnerabilities (DESIGN §5: no history passes
 * 4,096 events). A fix step costs about 7 events, so 200 vulnerabilities with retries would otherwise pass it.
 */
export const ASSET_HISTORY_BUDGET = 3_000;

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

interface StepOutcome {
  ok: boolean;
  result: AgentJobResult | null;
  error: string | null;
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

/** The agent's own words for a failed job (`details.error`, e.g. "still vulnerable: …"), when it gave them. */
function hostError(result: AgentJobResult): string | null {
  const e = result.details.error;
  if (typeof e === 'string' && e !== '') return e;
  return typeof result.details.unsupported === 'string' ? 'unsupported on this host' : null;
}

/** "still vulnerable: <package> <installed> < <fixed>" for each package a verification found below its fix. */
function stillVulnerableLines(result: AgentJobResult): string[] {
  const list = result.details.stillVulnerable;
  if (!Array.isArray(list)) return [];
  return list.flatMap((v: unknown) => {
    if (typeof v !== 'object' || v === null) return [];
    const o = v as Record<string, unknown>;
    const installed = typeof o.installedVersion === 'string' ? o.installedVersion : '(not installed)';
    return typeof o.packageName === 'string' && typeof o.fixedVersion === 'string'
      ? [`still vulnerable: ${o.packageName} ${installed} < ${o.fixedVersion}`]
      : [];
  });
}

/** The vulnerabilities (ids or names) a verification scan still finds (`details.stillPresent`). */
function presentIn(result: AgentJobResult): string[] {
  const list = result.details.stillPresent;
  return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
}

/** What a dry-run fix says it would have done ("would upgrade X from A to B"). */
function dryRunLine(v: VulnerabilityToFix, result: AgentJobResult | null): string {
  const d = result?.details ?? {};
  const what = v.packageName ?? v.name;
  const from = typeof d.versionBefore === 'string' ? d.versionBefore : '(unknown)';
  const to = typeof d.wouldUpgradeTo === 'string' ? d.wouldUpgradeTo : null;
  return to
    ? `would upgrade ${what} from ${from} to ${to}`
    : `would not change ${what} (no newer version offered)`;
}

/**
 * One asset of a task (DESIGN §5): precheck (agent online, vulnerabilities still present, agent precheck) →
 * snapshot (optional) → fix each vulnerability with the policy's retries → verification scan → reboot when a fix
 * requires it and the policy allows it. Every step is a `task_steps` row; cancellation ends the asset Cancelled.
 */
export async function fixAssetWorkflow(input: FixAssetInput): Promise<FixAssetResult> {
  const { taskId, accountId, execution, assetId, assetName, run, resume } = input;
  const historyBudget = input.historyBudget ?? ASSET_HISTORY_BUDGET;
  const lines: [string, string][] = [];
  const show = (step: string, status: string) => {
    lines.push([step, status]);
    setCurrentDetails(assetDetails(assetName, lines));
  };

  const keys = { accountId, taskId, execution, assetId };
  const group = `playbook-task:${taskId}`;
  const folded = patched(STEP_ACTIVITY_PATCH);
  /**
   * Folded histories cancel their own agent jobs when their cancellation is requested (window end, the task's cancel,
   * the Temporal UI): pending ones end at once and running ones hear it on their next heartbeat, so claims need not
   * ask Temporal. A regular activity, scheduled after the activity cancellations the same workflow task requests.
   */
  const jobsCancelled = folded
    ? CancellationScope.current().cancelRequested.catch(() =>
        CancellationScope.nonCancellable(() => cancelAgentJobs({ accountId, group, assetId })),
      )
    : undefined;
  /**
   * Step ends not known to be written yet (folded histories): they go with the next step's activity, which writes
   * them before it begins its own step, or with the asset's end. An activity that failed or was cancelled may not have
   * written them, so they are sent again (writing an end twice changes nothing).
   */
  let endsToWrite: StepEnd[] = [];
  /** Writes the step ends still waiting (before continuing as new). */
  const flushEnds = async (): Promise<void> => {
    if (endsToWrite.length > 0) await db.playbookEndSteps({ ...keys, ends: endsToWrite });
    endsToWrite = [];
  };

  async function step(o: {
    kind: StepKind;
    jobKind: AgentJobKind;
    vulnerability?: VulnerabilityToFix;
    attempt?: number;
    summary: string;
    payload: Record<string, unknown>;
    /** Reads a finished job's result: an error makes the step fail even though the job itself succeeded. */
    judge?: (result: AgentJobResult) => string | null;
  }): Promise<StepOutcome> {
    const attempt = o.attempt ?? 1;
    const vulnerabilityId = o.vulnerability?.vulnerabilityId ?? '';
    const key = { kind: o.kind, vulnerabilityId, attempt };
    const job = {
      kind: o.jobKind,
      jobKey: `${taskId}:${execution}:${assetId}:${vulnerabilityId || '-'}:${o.kind}:${attempt}`,
      payload: o.payload,
      group,
      summary: o.summary,
      ...(folded ? { cancelPushed: true } : {}),
    };
    const hostStep = {
      startToCloseTimeout: STEP_START_TO_CLOSE,
      heartbeatTimeout: run.heartbeatTimeoutSeconds * 1000,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry: { maximumAttempts: AGENT_JOB_ATTEMPTS, initialInterval: '1s' },
      summary: o.summary,
    };
    let runJob: () => Promise<AgentJobResult>;
    let end: (
      status: StepEnd['status'],
      result: AgentJobResult | null,
      error: string | null,
    ) => Promise<void>;
    if (folded) {
      const earlier = endsToWrite;
      let earlierWritten = false;
      runJob = async () => {
        const result = await proxyActivities<PlaybookActivities>(hostStep).playbookRunStep({
          ...keys,
          ends: earlier,
          begin: { ...key, summary: o.summary },
          job,
        });
        earlierWritten = true;
        return result;
      };
      end = (status, result, error) => {
        const mine = {
          ...key,
          status,
          jobId: result?.jobId ?? null,
          exitCode: result?.exitCode ?? null,
          error,
        };
        endsToWrite = earlierWritten ? [mine] : [...earlier, mine];
        return Promise.resolve();
      };
    } else {
      const { stepId } = await db.playbookBeginStep({ ...keys, ...key, summary: o.summary });
      runJob = () => proxyActivities<AgentActivities>(hostStep).runAgentJob({ accountId, assetId, ...job });
      end = (status, result, error) =>
        db.playbookEndStep({ ...keys, stepId, kind: o.kind, status, result, error });
    }
    try {
      const result = await runJob();
      const verdict = result.status === 'succeeded' ? (o.judge?.(result) ?? null) : null;
      const ok = result.status === 'succeeded' && verdict === null;
      const error = ok ? null : (verdict ?? hostError(result) ?? `exit code ${result.exitCode}`);
      await end(ok ? 'succeeded' : 'failed', result, error);
      show(o.summary, ok ? 'succeeded' : `failed (${error})`);
      return { ok, result, error };
    } catch (err) {
      if (isCancellation(err)) {
        await CancellationScope.nonCancellable(() => end('cancelled', null, 'cancelled'));
        throw err;
      }
      const error = describeFailure(err);
      await end('failed', null, error);
      show(o.summary, `failed (${error})`);
      return { ok: false, result: null, error };
    }
  }

  const finish = async (
    r: FixAssetResult,
    fixed: string[],
    failed: string[],
    dryRun = false,
  ): Promise<FixAssetResult> => {
    const asset: AssetEnd = {
      ...r,
      fixedVulnerabilityIds: fixed,
      failedVulnerabilityIds: failed,
      ...(dryRun ? { dryRun } : {}),
    };
    if (folded) await db.playbookEndSteps({ ...keys, ends: endsToWrite, asset });
    else await db.playbookEndAsset({ ...keys, ...asset });
    endsToWrite = [];
    return r;
  };

  /** Server precheck, agent precheck and snapshot; a result when the asset ends here, null to go on fixing. */
  async function precheckAndSnapshot(
    agentIsOnline: boolean,
    vulnerabilities: VulnerabilityToFix[],
    unsupported: VulnerabilityToFix[],
  ): Promise<FixAssetResult | null> {
    const all = vulnerabilities.map((v) => v.vulnerabilityId);
    if (vulnerabilities.length === 0 && unsupported.length > 0) {
      // Capabilities are honest (DESIGN §5): nothing is attempted that this host's agent cannot fix.
      const types = [...new Set(unsupported.map((v) => v.type))].join(', ');
      show('precheck', `unsupported on this host (${types})`);
      return finish({ status: 'Skipped', reason: `unsupported on this host: ${types}` }, [], []);
    }
    if (!agentIsOnline) {
      show('precheck', 'agent offline');
      return finish({ status: 'Failed', reason: 'precheck: the asset’s agent is offline' }, [], all);
    }
    if (vulnerabilities.length === 0) {
      show('precheck', 'nothing left to fix');
      return finish({ status: 'Succeeded', reason: 'no selected vulnerability is still present' }, [], []);
    }
    const precheck = await step({
      kind: 'precheck',
      jobKind: 'precheck',
      summary: `precheck ${vulnerabilities.length} vulnerabilities on ${assetName}`,
      payload: {
        vulnerabilities: vulnerabilities.map((v) => ({
          id: v.vulnerabilityId,
          name: v.name,
          type: v.type,
          packageName: v.packageName,
        })),
      },
    });
    if (!precheck.ok) {
      return finish({ status: 'Failed', reason: `precheck failed: ${precheck.error}` }, [], all);
    }
    if (run.snapshot.enabled) {
      const snap = await step({
        kind: 'snapshot',
        jobKind: 'snapshot',
        summary: `snapshot ${assetName} (kept ${run.snapshot.retentionDays} days)`,
        payload: { retentionDays: run.snapshot.retentionDays },
      });
      if (!snap.ok) return finish({ status: 'Failed', reason: `snapshot failed: ${snap.error}` }, [], all);
    }
    return null;
  }

  const fixed: string[] = [...(resume?.fixed ?? [])];
  const failed: string[] = [...(resume?.failed ?? [])];
  try {
    let toFix: VulnerabilityToFix[];
    if (resume) {
      toFix = resume.vulnerabilities;
      show('continued', `${resume.next} of ${toFix.length} vulnerabilities done`);
    } else {
      const pre = await db.playbookBeginAsset(keys);
      const early = await precheckAndSnapshot(pre.agentOnline, pre.vulnerabilities, pre.unsupported ?? []);
      if (early) return early;
      toFix = pre.vulnerabilities;
    }

    let rebootRequired = resume?.rebootRequired ?? false;
    const fixErrors: string[] = [...(resume?.fixErrors ?? [])];
    /** Dry-run fixes: what they would have done; their vulnerabilities stay open (a dry run never closes one). */
    const dryRuns: string[] = [...(resume?.dryRuns ?? [])];
    for (let i = resume?.next ?? 0; i < toFix.length; i++) {
      const v = toFix[i];
      if (!v) continue;
      let outcome: StepOutcome | null = null;
      for (let attempt = 1; attempt <= 1 + run.retriesPerFix; attempt++) {
        outcome = await step({
          kind: 'fix',
          jobKind: 'fix',
          vulnerability: v,
          attempt,
          summary: `fix ${v.name}${v.packageName ? ` (${v.packageName})` : ''} on ${assetName}${attempt > 1 ? ` — attempt ${attempt}` : ''}`,
          payload: {
            vulnerabilityId: v.vulnerabilityId,
            vulnerabilityName: v.name,
            type: v.type,
            packageName: v.packageName,
            fixedVersion: v.fixedVersion,
            kbId: v.kbId,
            cmsComponent: v.cmsComponent,
            ...(run.dryRun ? { dryRun: true } : {}),
            // The verification scan judges the installed version; without one, the fix judges it itself.
            ...(run.verifyAfterFix ? { verifiedAfter: true } : {}),
          },
        });
        if (outcome.ok) break;
      }
      if (outcome?.ok && outcome.result?.details.dryRun === true) {
        dryRuns.push(dryRunLine(v, outcome.result));
      } else if (outcome?.ok) {
        fixed.push(v.vulnerabilityId);
        if (outcome.result?.details.rebootRequired === true) rebootRequired = true;
      } else {
        failed.push(v.vulnerabilityId);
        fixErrors.push(`${v.name}: ${outcome?.error ?? 'failed'}`);
      }
      if (i + 1 < toFix.length && workflowInfo().historyLength >= historyBudget) {
        // The rest of the vulnerabilities in a fresh history; the batch's child handle follows the new run.
        await flushEnds();
        return await continueAsNew<typeof fixAssetWorkflow>({
          ...input,
          resume: { vulnerabilities: toFix, next: i + 1, fixed, failed, fixErrors, rebootRequired, dryRuns },
        });
      }
    }

    let verifyError: string | null = null;
    if (run.verifyAfterFix && fixed.length > 0) {
      const names = toFix.filter((v) => fixed.includes(v.vulnerabilityId));
      const verify = await step({
        kind: 'verify',
        jobKind: 'scan',
        summary: `verify ${fixed.length} fixes on ${assetName}`,
        payload: {
          vulnerabilities: names.map((v) => ({
            id: v.vulnerabilityId,
            name: v.name,
            packageName: v.packageName,
            fixedVersion: v.fixedVersion,
          })),
        },
        judge: (r) => {
          const lines = stillVulnerableLines(r);
          if (lines.length > 0) return lines.join('; ');
          const still = presentIn(r);
          return still.length > 0 ? `verification scan still finds ${still.join(', ')}` : null;
        },
      });
      const present = verify.result ? presentIn(verify.result) : [];
      if (present.length > 0) {
        // Only what the host still lacks stays open; the other fixes are verified.
        for (const v of names.filter(
          (n) => present.includes(n.vulnerabilityId) || present.includes(n.name),
        )) {
          fixed.splice(fixed.indexOf(v.vulnerabilityId), 1);
          failed.push(v.vulnerabilityId);
        }
        verifyError = verify.error;
      } else if (!verify.ok) {
        verifyError = `verification scan failed: ${verify.error}`;
        failed.push(...fixed.splice(0));
      }
    }

    // Reboot when required even if one fix failed: the fixes that did apply need it (research: breeze#4228).
    let rebootError: string | null = null;
    if (rebootRequired && run.reboot === 'ifRequired') {
      const reboot = await step({
        kind: 'reboot',
        jobKind: 'reboot',
        summary: `reboot ${assetName}`,
        payload: {},
      });
      if (!reboot.ok) rebootError = `reboot failed: ${reboot.error}`;
    }
    const reasons = [
      fixErrors.length > 0 ? `fix failed — ${fixErrors.join('; ')}` : null,
      verifyError,
      rebootError,
    ].filter((x): x is string => x !== null);
    const pendingReboot =
      rebootRequired && run.reboot === 'never' ? 'fixed, pending reboot (policy: never reboot)' : null;
    const dryRun = dryRuns.length > 0 ? `${ASSET_REASONS.dryRun}: ${dryRuns.join('; ')}` : null;
    if (dryRun) show('dry run', dryRuns.join('; '));
    return await finish(
      reasons.length === 0
        ? {
            status: 'Succeeded',
            reason: [dryRun, pendingReboot].filter((x) => x !== null).join(' · ') || null,
          }
        : { status: 'Failed', reason: [...reasons, ...(dryRun ? [dryRun] : [])].join(' · ') },
      fixed,
      failed,
      dryRuns.length > 0,
    );
  } catch (err) {
    if (!isCancellation(err)) throw err;
    return CancellationScope.nonCancellable(async () => {
      await jobsCancelled;
      return finish({ status: 'Cancelled', reason: null }, fixed, []);
    });
  }
}
