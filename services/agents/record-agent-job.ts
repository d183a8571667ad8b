import { and, eq, inArray, sql } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';
import { agentJobs, agents } from '../../db/schema/agents.js';
import { assets } from '../../db/schema/inventory.js';
import { uuidv7 } from '../../domain/ids.js';
import type { Services } from '../../platform/services.js';
import type { AgentJobRow } from './job-delivery.js';
import { AGENT_JOB_CHANNEL, notifyJobCreated } from './job-notifier.js';

/** The job as `runAgentJob` asks for it (see `AgentJobRequest` in activities/agents/run-agent-job.ts). */
export interface RecordAgentJobRequest {
  accountId: string;
  assetId: string;
  kind: string;
  jobKey: string;
  payload: Record<string, unknown>;
  group?: string;
  summary?: string;
  cancelPushed?: boolean;
}

/** The waiting activity attempt a job row points at, so that the agent's result completes it. */
export interface ActivityAttach {
  taskToken: Buffer;
  attempt: number;
  workflowId: string | null;
  activityId: string;
}

/**
 * What became of the request: `waiting` when a job row now waits for the agent (created, or a retried attempt
 * attached to the unfinished one); `finished` with the stored row when the job key already ran.
 */
export type RecordedAgentJob =
  | { state: 'assetNotFound' }
  | { state: 'noAgent' }
  | { state: 'waiting' }
  | { state: 'otherAsset' }
  | { state: 'cancelled'; row: AgentJobRow }
  | { state: 'finished'; row: AgentJobRow };

/** Records the job once per job key and wakes the asset's long poll, or finds the job the key already names. */
export async function recordAgentJob(
  deps: Pick<Services, 'db' | 'dbDriver'>,
  req: RecordAgentJobRequest,
  attach: ActivityAttach,
): Promise<RecordedAgentJob> {
  /** Wakes the asset's long poll: in this process at once, in API processes elsewhere through Postgres NOTIFY. */
  const announce = async (assetId: string) => {
    notifyJobCreated(assetId);
    if (deps.dbDriver === 'postgres') {
      await deps.db.execute(sql`select pg_notify(${AGENT_JOB_CHANNEL}, ${assetId})`);
    }
  };
  // One statement: the asset (this account's, with an agent), the job row once per key, and the wake-up of
  // API processes elsewhere (NOTIFY is sent when the statement commits, only for a job it created).
  const notify =
    deps.dbDriver === 'postgres'
      ? sql`, (select pg_notify(${AGENT_JOB_CHANNEL}, ${req.assetId}) from created) as notified`
      : sql``;
  const [target] = await queryRows<{ agent_id: string | null; created_id: string | null }>(
    deps.db,
    sql`with target as (
      select a.id as asset_id, g.id as agent_id
      from ${assets} a left join ${agents} g on g.asset_id = a.id
      where a.account_id = ${req.accountId} and a.id = ${req.assetId}
    ), created as (
      insert into ${agentJobs} (id, account_id, asset_id, job_key, kind, payload, "group", summary,
        task_token, attempt, workflow_id, activity_id, check_cancel_on_claim)
      select ${uuidv7()}::uuid, ${req.accountId}::uuid, asset_id, ${req.jobKey}::text, ${req.kind}::text,
        ${JSON.stringify(req.payload)}::jsonb, ${req.group ?? null}::text, ${req.summary ?? null}::text,
        ${attach.taskToken}::bytea, ${attach.attempt}::int, ${attach.workflowId}::text, ${attach.activityId}::text,
        ${req.cancelPushed !== true}::boolean
      from target where agent_id is not null
      on conflict do nothing
      returning id
    )
    select t.agent_id, c.id as created_id ${notify} from target t left join created c on true`,
  );
  if (!target) return { state: 'assetNotFound' };
  if (!target.agent_id) return { state: 'noAgent' };
  if (target.created_id) {
    notifyJobCreated(req.assetId);
    return { state: 'waiting' };
  }
  // Same job key again: a retried activity. Attach to the unfinished job, or return the finished one's result.
  const [attached] = await deps.db
    .update(agentJobs)
    .set(attach)
    .where(
      and(
        eq(agentJobs.accountId, req.accountId),
        eq(agentJobs.jobKey, req.jobKey),
        eq(agentJobs.assetId, req.assetId),
        inArray(agentJobs.status, ['pending', 'running']),
      ),
    )
    .returning({ id: agentJobs.id, status: agentJobs.status });
  if (attached) {
    if (attached.status === 'pending') await announce(req.assetId);
    return { state: 'waiting' };
  }
  const [row] = await deps.db
    .select()
    .from(agentJobs)
    .where(and(eq(agentJobs.accountId, req.accountId), eq(agentJobs.jobKey, req.jobKey)));
  if (!row || row.assetId !== req.assetId) return { state: 'otherAsset' };
  if (row.status === 'cancelled') return { state: 'cancelled', row };
  return { state: 'finished', row };
}
