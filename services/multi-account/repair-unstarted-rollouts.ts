import { unstartedRollouts } from './rollout-state.js';
import { startMemberSettingsRollout, type RolloutServices } from './start-settings-rollout.js';

/** Maintenance duty (platform/maintenance.ts): latest revisions saved but never started (a crash between the commit and the start). */
export async function repairUnstartedRollouts(services: RolloutServices): Promise<number> {
  const pending = await unstartedRollouts(services.db);
  for (const p of pending) {
    await startMemberSettingsRollout(services, {
      memberId: p.memberId,
      memberName: p.memberId,
      revision: p.revision,
      adminAccountId: 'unknown',
    });
  }
  return pending.length;
}
