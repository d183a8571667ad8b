import { CancellationScope, continueAsNew, isCancellation, workflowInfo } from '@temporalio/workflow';
import type { VulnerabilityToFix } from '../../activities/playbook/task-activities.js';
import {
  applyVerification,
  assetOutcome,
  dryRunLine,
  serverPrecheck,
  verificationVerdict,
} from '../../domain/playbook/asset-outcome.js';
import { AssetSteps, type StepOutcome } from './asset-steps.js';
import type { FixAssetInput, FixAssetResult } from './messages.js';

export { STEP_ACTIVITY_PATCH } from './asset-steps.js';

/**
 * Events after which an asset's run continues as new between two vulnerabilities (DESIGN §5: no history passes
 * 4,096 events). A fix step costs about 7 events, so 200 vulnerabilities with retries would otherwise pass it.
 */
export const ASSET_HISTORY_BUDGET = 3_000;

/**
 * One asset of a task (DESIGN §5): precheck (agent online, vulnerabilities still present, agent precheck) →
 * snapshot (optional) → fix each vulnerability with the policy's retries → verification scan → reboot when a fix
 * requires it and the policy allows it. Every step is a `task_steps` row; cancellation ends the asset Cancelled.
 */
export async function fixAssetWorkflow(input: FixAssetInput): Promise<FixAssetResult> {
  const { taskId, accountId, execution, assetId, assetName, run, resume } = input;
  const historyBudget = input.historyBudget ?? ASSET_HISTORY_BUDGET;
  const steps = new AssetSteps({ accountId, taskId, execution, assetId }, assetName, run);
  const jobsCancelled = steps.cancelJobsWhenCancelled();

  let fixed: string[] = [...(resume?.fixed ?? [])];
  let failed: string[] = [...(resume?.failed ?? [])];
  try {
    let toFix: VulnerabilityToFix[];
    if (resume) {
      toFix = resume.vulnerabilities;
      steps.show('continued', `${resume.next} of ${toFix.length} vulnerabilities done`);
    } else {
      const pre = await steps.begin();
      const early = await precheckAndSnapshot(steps, input, pre);
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
      const outcome = await fixWithRetries(steps, input, v);
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
        await steps.flushEnds();
        return await continueAsNew<typeof fixAssetWorkflow>({
          ...input,
          resume: { vulnerabilities: toFix, next: i + 1, fixed, failed, fixErrors, rebootRequired, dryRuns },
        });
      }
    }

    let verifyError: string | null = null;
    if (run.verifyAfterFix && fixed.length > 0) {
      ({ fixed, failed, verifyError } = await verifyFixes(steps, input, toFix, fixed, failed));
    }
    const rebootError = await rebootIfRequired(steps, input, rebootRequired);
    if (dryRuns.length > 0) steps.show('dry run', dryRuns.join('; '));
    const verdict = assetOutcome({
      fixErrors,
      verifyError,
      rebootError,
      rebootRequired,
      reboot: run.reboot,
      dryRuns,
    });
    return await steps.finish(verdict, fixed, failed, dryRuns.length > 0);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    return CancellationScope.nonCancellable(async () => {
      await jobsCancelled;
      return steps.finish({ status: 'Cancelled', reason: null }, fixed, []);
    });
  }
}

/** Server precheck, agent precheck and snapshot; a result when the asset ends here, null to go on fixing. */
async function precheckAndSnapshot(
  steps: AssetSteps,
  { assetName, run }: FixAssetInput,
  pre: { agentOnline: boolean; vulnerabilities: VulnerabilityToFix[]; unsupported?: VulnerabilityToFix[] },
): Promise<FixAssetResult | null> {
  const { vulnerabilities } = pre;
  const all = vulnerabilities.map((v) => v.vulnerabilityId);
  const early = serverPrecheck({
    agentOnline: pre.agentOnline,
    vulnerabilities,
    unsupported: pre.unsupported ?? [],
  });
  if (early) {
    steps.show('precheck', early.shown);
    return steps.finish(early.verdict, [], early.failed);
  }
  const precheck = await steps.step({
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
    return steps.finish({ status: 'Failed', reason: `precheck failed: ${precheck.error}` }, [], all);
  }
  if (run.snapshot.enabled) {
    const snap = await steps.step({
      kind: 'snapshot',
      jobKind: 'snapshot',
      summary: `snapshot ${assetName} (kept ${run.snapshot.retentionDays} days)`,
      payload: { retentionDays: run.snapshot.retentionDays },
    });
    if (!snap.ok)
      return steps.finish({ status: 'Failed', reason: `snapshot failed: ${snap.error}` }, [], all);
  }
  return null;
}

/** One vulnerability's fix with the policy's retries: the first attempt that succeeds, else the last one. */
async function fixWithRetries(
  steps: AssetSteps,
  { assetName, run }: FixAssetInput,
  v: VulnerabilityToFix,
): Promise<StepOutcome | null> {
  let outcome: StepOutcome | null = null;
  for (let attempt = 1; attempt <= 1 + run.retriesPerFix; attempt++) {
    outcome = await steps.step({
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
  return outcome;
}

/** The verification scan of the fixes that applied: the host's package manager judges what is fixed. */
async function verifyFixes(
  steps: AssetSteps,
  { assetName }: FixAssetInput,
  toFix: VulnerabilityToFix[],
  fixed: string[],
  failed: string[],
) {
  const verified = toFix.filter((v) => fixed.includes(v.vulnerabilityId));
  const scan = await steps.step({
    kind: 'verify',
    jobKind: 'scan',
    summary: `verify ${fixed.length} fixes on ${assetName}`,
    payload: {
      vulnerabilities: verified.map((v) => ({
        id: v.vulnerabilityId,
        name: v.name,
        packageName: v.packageName,
        fixedVersion: v.fixedVersion,
      })),
    },
    judge: verificationVerdict,
  });
  return applyVerification({ fixed, failed, verified, scan });
}

/**
 * Reboots when a fix requires it and the policy allows it — even if one fix failed: the fixes that did apply need it
 * (research: breeze#4228). The reboot's error, or null.
 */
async function rebootIfRequired(
  steps: AssetSteps,
  { assetName, run }: FixAssetInput,
  rebootRequired: boolean,
): Promise<string | null> {
  if (!rebootRequired || run.reboot !== 'ifRequired') return null;
  const reboot = await steps.step({
    kind: 'reboot',
    jobKind: 'reboot',
    summary: `reboot ${assetName}`,
    payload: {},
  });
  return reboot.ok ? null : `reboot failed: ${reboot.error}`;
}
