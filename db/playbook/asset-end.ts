import { inArray, sql } from 'drizzle-orm';
import type { Executor } from '../client.js';
import { vulnerabilities } from '../schema/findings.js';
import { playbookTaskAssets, playbookTaskSteps, playbookTaskVulnerabilities } from '../schema/playbook.js';
import { assetStatusesBefore, type AssetStatus } from '../../domain/playbook/status.js';
import type { StepKeys } from './steps.js';
import { logLineOfEnded } from './task-log.js';

export interface AssetEnd {
  status: AssetStatus;
  reason: string | null;
  fixedVulnerabilityIds: string[];
  failedVulnerabilityIds: string[];
  /** The fixes were dry runs: the vulnerabilities not fixed are skipped for this task, not failed, and stay open. */
  dryRun?: boolean;
}

/**
 * The asset's final status (guarded by the status machine), its vulnerabilities' outcomes and its log line, in one
 * statement: once the status is set, a repeated call changes nothing. The fixed vulnerabilities are fixed; whatever
 * else of this asset is still marked fixing was not, and opens again for the next task. A step still running when
 * the asset ends cancelled (its end was lost to the cancellation) ends cancelled with it.
 */
export async function endAsset(db: Executor, k: StepKeys, a: AssetEnd): Promise<void> {
  const fixed = a.fixedVulnerabilityIds;
  const isFixed = inArray(vulnerabilities.id, fixed);
  const taskVulnerabilityFixed = inArray(playbookTaskVulnerabilities.vulnerabilityId, fixed);
  const ended = sql`exists (select 1 from ended)`;
  const before = assetStatusesBefore(a.status);
  await db.execute(sql`with ended as (
      update ${playbookTaskAssets} set status = ${a.status}, reason = ${a.reason}::text, ended_at = now(), updated_at = now()
      where task_id = ${k.taskId}::uuid and execution = ${k.execution}::int and asset_id = ${k.assetId}::uuid
        and ${inArray(playbookTaskAssets.status, before)}
      returning asset_id
    ), task_vulnerabilities as (
      update ${playbookTaskVulnerabilities}
      set status = case when ${taskVulnerabilityFixed} then 'fixed' else ${a.status === 'Cancelled' ? 'cancelled' : a.dryRun || a.status === 'Skipped' ? 'skipped' : 'failed'}::text end,
        execution = ${k.execution}::int, updated_at = now()
      where ${ended} and task_id = ${k.taskId}::uuid and asset_id = ${k.assetId}::uuid
        and (${taskVulnerabilityFixed} or status in ('pending', 'fixing', 'failed', 'cancelled'))
      returning vulnerability_id
    ), fixes as (
      update ${vulnerabilities}
      set status = case when ${isFixed} then 'fixed' else 'open' end,
        fixed_at = case when ${isFixed} then now() else fixed_at end,
        latest_scan_at = case when ${isFixed} then now() else latest_scan_at end,
        updated_at = now()
      where ${ended}
        and id in (select vulnerability_id from ${playbookTaskVulnerabilities}
          where task_id = ${k.taskId}::uuid and asset_id = ${k.assetId}::uuid)
        and ((${isFixed} and status in ('open', 'fixing')) or status = 'fixing')
      returning id
    ), lost_steps as (
      update ${playbookTaskSteps} set status = 'cancelled', error = 'cancelled', ended_at = now()
      where ${a.status === 'Cancelled'}::boolean and ${ended} and task_id = ${k.taskId}::uuid
        and execution = ${k.execution}::int and asset_id = ${k.assetId}::uuid and status = 'running'
      returning id
    )
    ${logLineOfEnded(k, {
      dedupeKey: sql`${`asset:${k.assetId}:end`}::text`,
      level: a.status === 'Failed' ? 'error' : 'info',
      event: `asset.${a.status}`,
      message: sql`${`asset ${a.status}${a.reason ? `: ${a.reason}` : ''}`}::text`,
      stepId: sql`null::uuid`,
    })}`);
}
