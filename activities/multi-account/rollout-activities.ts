import { memberSettingsJobGroup } from '../../domain/multi-account/rollout.js';
import { recordAgentRevision } from '../../services/multi-account/rollout-state.js';
import { planRolloutPass, type RolloutPass } from '../../services/multi-account/rollout-pass-plan.js';
import { createAgentActivities } from '../agents/run-agent-job.js';
import { recordUnappliedSettings } from '../../services/agents/record-unapplied-settings.js';
import type { ActivityDeps } from '../index.js';

export type { RolloutPass, RolloutTarget } from '../../services/multi-account/rollout-pass-plan.js';

/** Activities of the settings rollout workflow (`workflows/member-settings.ts`). */
export function createMemberSettingsActivities(deps: ActivityDeps) {
  const agentActivities = createAgentActivities(deps);
  return {
    /** One pass's plan (`planRolloutPass`); withdraws the member's queued configure jobs when the plan says so. */
    async prepareMemberSettingsPass(req: {
      memberId: string;
      revision: number;
      limit: number;
    }): Promise<RolloutPass> {
      const { pass, withdrawQueuedJobs } = await planRolloutPass(deps.db, req);
      if (withdrawQueuedJobs) {
        await agentActivities.cancelAgentJobs({
          accountId: req.memberId,
          group: memberSettingsJobGroup(req.memberId),
        });
      }
      return pass;
    },

    async recordMemberAgentRevision(
      req: Parameters<typeof recordAgentRevision>[1] & { unapplied?: unknown },
    ): Promise<void> {
      const { unapplied, ...revision } = req;
      await recordAgentRevision(deps.db, revision);
      if (revision.appliedRevision !== undefined)
        await recordUnappliedSettings(deps.db, { ...revision, unapplied });
    },
  };
}

export type MemberSettingsActivities = ReturnType<typeof createMemberSettingsActivities>;
