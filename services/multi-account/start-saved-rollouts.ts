import { inArray } from 'drizzle-orm';
import { accounts } from '../../db/schema/accounts.js';
import { errorMessage, unavailable } from '../../domain/errors.js';
import { startMemberSettingsRollout, type RolloutServices } from './start-settings-rollout.js';

/** Rollouts started at once from one request; the rest wait for a free lane. */
const START_LANES = 8;

/**
 * Starts the rollouts of revisions just committed. One that does not start (Temporal unreachable) is logged and
 * left to the maintenance repair, which starts every latest revision whose rollout never started.
 */
export async function startSavedRollouts(
  services: RolloutServices,
  opts: { revisions: { accountId: string; revision: number }[]; adminAccountId: string },
): Promise<{ started: number; failed: { memberId: string; revision: number; error: string }[] }> {
  if (opts.revisions.length === 0) return { started: 0, failed: [] };
  const names = new Map(
    (
      await services.db
        .select({ id: accounts.id, name: accounts.name })
        .from(accounts)
        .where(
          inArray(
            accounts.id,
            opts.revisions.map((r) => r.accountId),
          ),
        )
    ).map((a) => [a.id, a.name]),
  );
  const failed: { memberId: string; revision: number; error: string }[] = [];
  let started = 0;
  let next = 0;
  const lane = async () => {
    for (let r = opts.revisions[next++]; r !== undefined; r = opts.revisions[next++]) {
      try {
        await startMemberSettingsRollout(services, {
          memberId: r.accountId,
          memberName: names.get(r.accountId) ?? r.accountId,
          revision: r.revision,
          adminAccountId: opts.adminAccountId,
        });
        started++;
      } catch (err) {
        services.logger.error(
          { err, memberId: r.accountId, revision: r.revision },
          'settings rollout did not start; maintenance will start it',
        );
        failed.push({ memberId: r.accountId, revision: r.revision, error: errorMessage(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(START_LANES, opts.revisions.length) }, lane));
  return { started, failed };
}

/**
 * The rollout of one revision just saved, for a request that answers after it: 503 when it did not start (the
 * revision stays saved; maintenance starts its rollout).
 */
export async function startSavedRollout(
  services: RolloutServices,
  row: { accountId: string; revision: number },
  adminAccountId: string,
): Promise<void> {
  const { failed } = await startSavedRollouts(services, { revisions: [row], adminAccountId });
  if (failed.length > 0) {
    throw unavailable(
      `revision ${row.revision} is saved; its rollout starts when Temporal is reachable again`,
    );
  }
}
