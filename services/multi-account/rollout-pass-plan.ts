import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { accounts } from '../../db/schema/accounts.js';
import { managedMembers, memberSettingsRevisions } from '../../db/schema/multi-account.js';
import { readStoredSettings } from '../../domain/multi-account/member-settings.js';
import { driftedAgents, latestRevision, rolloutProgress } from './rollout-state.js';

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

/**
 * Plans one pass of a settings rollout: it stops when superseded or when the member is no longer managed (and then
 * its queued configure jobs are to be withdrawn); otherwise it lists online agents not yet on the revision, and
 * the member's leftover configure jobs are to be withdrawn so that none lands after this pass's.
 */
export async function planRolloutPass(
  db: Executor,
  req: { memberId: string; revision: number; limit: number },
): Promise<{ pass: RolloutPass; withdrawQueuedJobs: boolean }> {
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
    return {
      withdrawQueuedJobs: !managed,
      pass: {
        superseded,
        unmanaged: !managed,
        memberName,
        agents: 0,
        applied: 0,
        driftCount: 0,
        offline: 0,
        targets: [],
        config: null,
      },
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
    // Leftover configure jobs (older revisions, timed-out attempts) go before this pass queues its own.
    withdrawQueuedJobs: targets.length > 0,
    pass: {
      superseded: false,
      memberName,
      agents: progress.agents,
      applied: progress.applied,
      driftCount: progress.driftCount,
      offline: drift.length - online.length,
      targets,
      // Filled like the API's read: a revision saved under an older schema reaches agents complete.
      config: rev ? readStoredSettings(rev.settings) : null,
    },
  };
}
