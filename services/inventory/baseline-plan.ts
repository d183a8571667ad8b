import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { baselineChecks } from '../../db/schema/findings.js';
import { nextBaselineRun } from '../../domain/baseline-checks.js';
import { effectiveSettings, inScope } from '../agents/effective-settings.js';

export interface DueBaselinePolicy {
  policyName: string;
  checkItems: string[];
}

export interface BaselinePlan {
  /** Policies whose run is due now on this host. */
  due: DueBaselinePolicy[];
  /** When the next one is due (epoch ms); null: no policy applies to this host. */
  nextAt: number | null;
  timeZone: string;
}

/**
 * Which of the account's baseline policies apply to a host and when each runs (issue 16): every `cycleDays` at
 * `startHour` on the wall clock of the account's time zone, counted from the host's last check of that policy.
 */
export async function baselinePlan(
  db: Executor,
  opts: {
    accountId: string;
    assetId: string;
    now: Date;
    /**
     * When the caller last planned (default `now`): a run that was upcoming then is due now, however late the
     * caller woke up, so a first run is never pushed to the next day by a slow timer.
     */
    since?: Date;
  },
): Promise<BaselinePlan> {
  const { settings, timeZone } = await effectiveSettings(db, opts.accountId);
  const policies = settings.baselinePolicies.filter((p) => inScope(p.assets, opts.assetId));
  if (policies.length === 0) return { due: [], nextAt: null, timeZone };
  const last = await db
    .select({ policyName: baselineChecks.policyName, checkedAt: baselineChecks.checkedAt })
    .from(baselineChecks)
    .where(and(eq(baselineChecks.accountId, opts.accountId), eq(baselineChecks.assetId, opts.assetId)));
  const lastRun = new Map(last.map((r) => [r.policyName, r.checkedAt]));
  const due: DueBaselinePolicy[] = [];
  let nextAt: number | null = null;
  for (const p of policies) {
    const at = nextBaselineRun({
      cycleDays: p.cycleDays,
      startHour: p.startHour,
      timeZone,
      lastRunAt: lastRun.get(p.name) ?? null,
      now: opts.since ?? opts.now,
    }).getTime();
    if (at <= opts.now.getTime()) due.push({ policyName: p.name, checkItems: p.checkItems });
    else nextAt = nextAt === null ? at : Math.min(nextAt, at);
  }
  return { due, nextAt, timeZone };
}
