import { and, eq } from 'drizzle-orm';
import { accounts } from '../../db/schema/accounts.js';
import { managedMembers, memberSettingsRevisions } from '../../db/schema/multi-account.js';
import { memberSettingsJobGroup } from '../../domain/multi-account/rollout.js';
import { readStoredSettings } from '../../domain/multi-account/member-settings.js';
import { createAgentActivities } from '../agents/run-agent-job.js';
import { recordUnappliedSettings } from '../../services/agents/record-unapplied-settings.js';
import type { ActivityDeps } from '../index.js';
import { driftedAgents, latestRevision, recordAgentRevision, rolloutProgress } from './member-settings.js';

export interface RolloutTarget {
  agentId: string;
  assetId: string;
  assetName: string;
}

export interface RolloutPass {
  /** A newer revision exists: this rollout stops. */
  superseded: boolean;
  /** The member left its directory or the managed list: this rollout stops (absent in older histories). */
  unmanaged?: boolean;
  memberName: string;
  agents: number;
  applied: number;
  driftCount: number;
  offline: number;
  /** Online agents behind the revision, up to the batch size. */
  targets: RolloutTarget[];
  config: unknown;
}

/** Activities of the settings rollout workflow (`workflows/member-settings.ts`). */
export function createMemberSettingsActivities(deps: ActivityDeps) {
  const agentActivities = createAgentActivities(deps);
  return {
    /**
     * Plans one pass: stops when superseded or when the member is no longer managed (withdrawing its queued
     * configure jobs), otherwise lists online agents not yet on the revision and cancels the member's leftover
     * configure jobs (older revisions, timed-out attempts) so that none lands after this one.
     */
    async prepareMemberSettingsPass(req: {
      memberId: string;
      revision: number;
      limit: number;
    }): Promise<RolloutPass> {
      const { db } = deps;
      const latest = await latestRevision(db, req.memberId);
      const [member] = await db
        .select({ name: accounts.name })
        .from(accounts)
        .where(eq(accounts.id, req.memberId));
      const memberName = member?.name ?? req.memberId;
      const [managed] = await db
        .select({ id: managedMembers.accountId })
        .from(managedMembers)
        .where(eq(managedMembers.accountId, req.memberId));
      const superseded = !latest || latest.revision !== req.revision;
      if (superseded || !managed) {
        // No administrator controls these settings any more: withdraw the configure jobs still queued.
        if (!managed) {
          await agentActivities.cancelAgentJobs({
            accountId: req.memberId,
            group: memberSettingsJobGroup(req.memberId),
          });
        }
        return {
          superseded,
          unmanaged: !managed,
          memberName,
          agents: 0,
          applied: 0,
          driftCount: 0,
          offline: 0,
          targets: [],
          config: null,
        };
      }
      const progress = await rolloutProgress(db, {
        memberId: req.memberId,
        revision: req.revision,
        driftLimit: 0,
      });
      // Scan the drift list in id order until a batch of online agents is found; offline ones are counted.
      const drift = await driftedAgents(db, {
        memberId: req.memberId,
        revision: req.revision,
        limit: progress.driftCount,
      });
      const online = drift.filter((a) => a.online);
      const targets = online
        .slice(0, req.limit)
        .map(({ agentId, assetId, assetName }) => ({ agentId, assetId, assetName }));
      if (targets.length > 0) {
        await agentActivities.cancelAgentJobs({
          accountId: req.memberId,
          group: memberSettingsJobGroup(req.memberId),
        });
      }
      const [rev] = await db
        .select({ settings: memberSettingsRevisions.settings })
        .from(memberSettingsRevisions)
        .where(
          and(
            eq(memberSettingsRevisions.accountId, req.memberId),
            eq(memberSettingsRevisions.revision, req.revision),
          ),
        );
      return {
        superseded: false,
        memberName,
        agents: progress.agents,
        applied: progress.applied,
        driftCount: progress.driftCount,
        offline: drift.length - online.length,
        targets,
        // Filled like the API's read: a revision saved under an older schema reaches agents complete.
        config: rev ? readStoredSettings(rev.settings) : null,
      };
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
