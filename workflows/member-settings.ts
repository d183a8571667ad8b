import {
  ActivityCancellationType,
  ActivityFailure,
  continueAsNew,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { AgentActivities } from '../activities/agents/run-agent-job.js';
import type {
  MemberSettingsActivities,
  RolloutPass,
  RolloutTarget,
} from '../activities/multi-account/rollout-activities.js';
import {
  memberSettingsJobGroup,
  nextRetryDelay,
  ROLLOUT_BATCH_SIZE,
  ROLLOUT_CONCURRENCY,
  ROLLOUT_HISTORY_BUDGET,
  ROLLOUT_WATCH_INTERVAL_MS,
} from '../domain/multi-account/rollout.js';

export interface MemberSettingsRolloutInput {
  memberId: string;
  revision: number;
  /** Carried over continue-as-new. */
  pass?: number;
  retryDelayMs?: number | null;
}

export interface MemberSettingsRolloutResult {
  /** superseded: a newer revision exists; unmanaged: the member left the directory or the managed list. */
  outcome: 'superseded' | 'unmanaged';
  revision: number;
  passes: number;
}

const { prepareMemberSettingsPass } = proxyActivities<MemberSettingsActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

const { recordMemberAgentRevision } = proxyLocalActivities<MemberSettingsActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500ms', maximumInterval: '10s' },
});

// One attempt per pass: the next pass retries with a fresh job key, so a dead agent never blocks the others.
const { runAgentJob } = proxyActivities<AgentActivities>({
  heartbeatTimeout: '30 seconds',
  startToCloseTimeout: '10 minutes',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 1 },
});

/**
 * Pushes one revision of a member's protection settings to every agent of the member's assets as `configure`
 * jobs and records the revision each agent reports. Offline and failed agents are retried with backoff; once all
 * agents are on the revision it keeps watching for new or returning agents. It stops when a newer revision exists
 * or the member is no longer managed (it checks before every pass), or when it is cancelled by the API on the next
 * save.
 */
export async function memberSettingsRollout(
  input: MemberSettingsRolloutInput,
): Promise<MemberSettingsRolloutResult> {
  const { memberId, revision } = input;
  let pass = input.pass ?? 0;
  let retryDelay = input.retryDelayMs ?? null;
  const stop = (
    outcome: MemberSettingsRolloutResult['outcome'] = 'superseded',
  ): MemberSettingsRolloutResult => {
    setCurrentDetails(
      outcome === 'unmanaged'
        ? `**Stopped** — the member is no longer managed; revision ${revision} is not pushed any more.`
        : `**Superseded** — revision ${revision} is no longer the member's latest settings.`,
    );
    return { outcome, revision, passes: pass };
  };
  try {
    for (;;) {
      const info = workflowInfo();
      if (
        pass > (input.pass ?? 0) &&
        (info.historyLength > ROLLOUT_HISTORY_BUDGET || info.continueAsNewSuggested)
      ) {
        return await continueAsNew<typeof memberSettingsRollout>({
          memberId,
          revision,
          pass,
          retryDelayMs: retryDelay,
        });
      }
      const plan = await prepareMemberSettingsPass.executeWithOptions(
        { summary: `plan pass ${pass + 1} of revision ${revision}` },
        [{ memberId, revision, limit: ROLLOUT_BATCH_SIZE }],
      );
      if (plan.unmanaged) return stop('unmanaged');
      if (plan.superseded) return stop();
      pass++;
      showProgress(revision, pass, plan, 'configuring');
      let progressed = false;
      if (plan.targets.length > 0) {
        const applied = await configureAgents(memberId, revision, plan, pass);
        progressed = applied > 0;
      }
      if (progressed) {
        retryDelay = null;
        continue;
      }
      if (plan.driftCount === 0) {
        retryDelay = null;
        showProgress(revision, pass, plan, 'converged');
        await sleep(ROLLOUT_WATCH_INTERVAL_MS, {
          summary: 'every agent is on the revision; watch for new agents',
        });
      } else {
        retryDelay = nextRetryDelay(retryDelay);
        showProgress(
          revision,
          pass,
          plan,
          `waiting ${Math.round(retryDelay / 1000)} s for offline or failed agents`,
        );
        await sleep(retryDelay, { summary: `retry ${plan.driftCount} agent(s) not on revision ${revision}` });
      }
    }
  } catch (err) {
    if (isCancellation(err)) return stop();
    throw err;
  }
}

/** Configures a batch of agents, `ROLLOUT_CONCURRENCY` at a time; returns how many now report the revision. */
async function configureAgents(
  memberId: string,
  revision: number,
  plan: RolloutPass,
  pass: number,
): Promise<number> {
  let next = 0;
  let applied = 0;
  const lane = async () => {
    for (let t = plan.targets[next++]; t !== undefined; t = plan.targets[next++]) {
      if (await configureAgent(memberId, revision, plan.config, t, pass)) applied++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(ROLLOUT_CONCURRENCY, plan.targets.length) }, lane));
  return applied;
}

async function configureAgent(
  memberId: string,
  revision: number,
  config: unknown,
  target: RolloutTarget,
  pass: number,
): Promise<boolean> {
  const record = { memberId, agentId: target.agentId, assetId: target.assetId, attemptedRevision: revision };
  try {
    const summary = `configure ${target.assetName} with settings revision ${revision}`;
    const result = await runAgentJob.executeWithOptions({ summary }, [
      {
        accountId: memberId,
        assetId: target.assetId,
        kind: 'configure',
        jobKey: `member-settings:${revision}:${target.agentId}:${pass}`,
        payload: { config, revision },
        group: memberSettingsJobGroup(memberId),
        summary,
      },
    ]);
    const reported = result.details.appliedRevision;
    if (result.status !== 'succeeded') {
      await recordMemberAgentRevision({
        ...record,
        error: `exit ${result.exitCode}: ${result.output.slice(-500)}`,
      });
      return false;
    }
    if (reported !== undefined && (typeof reported !== 'number' || !Number.isInteger(reported))) {
      await recordMemberAgentRevision({
        ...record,
        error: `the agent did not apply the revision (reported ${String(reported)})`,
      });
      return false;
    }
    const appliedRevision = reported ?? revision;
    // What the agent could not apply of it (issue 16) is kept beside the revision for the drift list.
    await recordMemberAgentRevision({ ...record, appliedRevision, unapplied: result.details.unapplied });
    return appliedRevision >= revision;
  } catch (err) {
    if (isCancellation(err)) throw err;
    const message =
      err instanceof ActivityFailure && err.cause
        ? err.cause.message
        : err instanceof Error
          ? err.message
          : String(err);
    await recordMemberAgentRevision({ ...record, error: message });
    return false;
  }
}

function showProgress(revision: number, pass: number, plan: RolloutPass, state: string): void {
  setCurrentDetails(
    [
      `**Settings revision ${revision}** for member **${plan.memberName}** — pass ${pass}: ${state}`,
      '',
      '| agents | on revision | behind | offline | this pass |',
      '|---:|---:|---:|---:|---:|',
      `| ${plan.agents} | ${plan.applied} | ${plan.driftCount} | ${plan.offline} | ${plan.targets.length} |`,
    ].join('\n'),
  );
}
