import { and, asc, count, eq, gte, inArray, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { vulnerabilities } from '../../db/schema/findings.js';
import { agentJobs, agents } from '../../db/schema/agents.js';
import { assets } from '../../db/schema/inventory.js';
import {
  playbookTaskAssets,
  playbookTaskLogs,
  playbookTaskSteps,
  playbookTasks,
  playbookTaskVulnerabilities,
} from '../../db/schema/playbook.js';
import type { TPolicyParams } from '../../domain/playbook/policy.js';
import {
  ASSET_REASONS,
  assetStatusesBefore,
  emptyAssetCounts,
  taskOutcome,
  taskStatusesBefore,
  type AssetCounts,
  type AssetStatus,
  type StepKind,
  type StepStatus,
  type TaskStatus,
} from '../../domain/playbook/status.js';
import type { VulnerabilityType } from '../../domain/findings.js';
import { uuidv7 } from '../../domain/ids.js';
import type { AgentJobResult } from '../agents/run-agent-job.js';
import {
  agentIsOnline,
  agentLastSeen,
  createAgentActivities,
  type AgentJobRequest,
} from '../agents/run-agent-job.js';
import { agentOnline as agentOnlineAt, type AgentFixType } from '../../domain/agent-jobs.js';
import type { ActivityDeps } from '../index.js';
import { buildTaskNotification, type TaskNotificationEvent } from './task-notification.js';

export type { TaskNotificationEvent };

export interface TaskPlan {
  status: TaskStatus;
  params: TPolicyParams;
  assetCount: number;
  windowStartMs: number | null;
  windowEndAtMs: number | null;
  cutoffAtMs: number | null;
}

export interface VulnerabilityToFix {
  vulnerabilityId: string;
  name: string;
  type: VulnerabilityType;
  packageName: string | null;
  fixedVersion: string | null;
  kbId: string | null;
  cmsComponent: string | null;
}

type StopReason = 'errorBudget' | 'windowClosed' | 'cancelled';

const taskWhere = (taskId: string, execution: number) =>
  and(eq(playbookTaskAssets.taskId, taskId), eq(playbookTaskAssets.execution, execution));

async function writeLog(
  db: Executor,
  entry: {
    accountId: string;
    taskId: string;
    execution: number;
    dedupeKey: string;
    level: 'info' | 'warn' | 'error';
    event: string;
    message: string;
    assetId?: string | null;
    stepId?: string | null;
  },
): Promise<void> {
  await db.insert(playbookTaskLogs).values(entry).onConflictDoNothing();
}

async function taskRow(db: Executor, taskId: string) {
  const [task] = await db.select().from(playbookTasks).where(eq(playbookTasks.id, taskId));
  if (!task) throw new Error(`playbook task ${taskId} does not exist`);
  return task;
}

/** Which asset of which execution a step belongs to. */
export interface StepKeys {
  accountId: string;
  taskId: string;
  execution: number;
  assetId: string;
}

/** A step by its natural key (one row per task, execution, asset, kind, vulnerability and attempt). */
export interface StepKey {
  kind: StepKind;
  vulnerabilityId: string;
  attempt: number;
}

export interface StepBegin extends StepKey {
  summary: string;
}

/** How a step ended; its output and details are copied from the agent job `jobId`. */
export interface StepResult {
  status: StepStatus;
  jobId: string | null;
  exitCode: number | null;
  error: string | null;
}

export type StepEnd = StepKey & StepResult;

export interface AssetEnd {
  status: AssetStatus;
  reason: string | null;
  fixedVulnerabilityIds: string[];
  failedVulnerabilityIds: string[];
  /** The fixes were dry runs: the vulnerabilities not fixed are skipped for this task, not failed, and stay open. */
  dryRun?: boolean;
}

/**
 * The log line of a statement whose data-modifying CTE `ended` returned a row (none when it changed nothing), like
 * `writeLog` but inside that statement; `dedupeKey`, `message` and `stepId` may read the CTE's columns.
 */
function logLineOfEnded(
  k: StepKeys,
  line: { dedupeKey: SQL; level: 'info' | 'error'; event: string; message: SQL; stepId: SQL },
): SQL {
  return sql`insert into ${playbookTaskLogs}
      (id, account_id, task_id, execution, dedupe_key, level, event, message, asset_id, step_id)
    select ${uuidv7()}::uuid, ${k.accountId}::uuid, ${k.taskId}::uuid, ${k.execution}::int, ${line.dedupeKey},
      ${line.level}::text, ${line.event}::text, ${line.message}, ${k.assetId}::uuid, ${line.stepId}
    from ended
    on conflict do nothing`;
}

/**
 * A `task_steps` row (once per task, execution, asset, kind, vulnerability and attempt), in one statement; a fix also
 * marks its vulnerability fixing.
 */
async function beginStep(db: Executor, k: StepKeys, b: StepBegin): Promise<string> {
  const fix = b.kind === 'fix' && b.vulnerabilityId !== '';
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`with step as (
      insert into ${playbookTaskSteps} (id, account_id, task_id, execution, asset_id, kind, vulnerability_id, attempt,
        status, summary)
      values (${uuidv7()}::uuid, ${k.accountId}::uuid, ${k.taskId}::uuid, ${k.execution}::int, ${k.assetId}::uuid,
        ${b.kind}::text, ${b.vulnerabilityId}::text, ${b.attempt}::int, 'running', ${b.summary}::text)
      on conflict (task_id, execution, asset_id, kind, vulnerability_id, attempt) do update set summary = excluded.summary
      returning id
    ), fixing as (
      update ${vulnerabilities} set status = 'fixing', updated_at = now()
      where ${fix}::boolean and id = ${b.vulnerabilityId || null}::uuid and status = 'open'
      returning id
    ), task_fixing as (
      update ${playbookTaskVulnerabilities} set status = 'fixing', execution = ${k.execution}::int, updated_at = now()
      where ${fix}::boolean and task_id = ${k.taskId}::uuid and vulnerability_id = ${b.vulnerabilityId || null}::uuid
      returning vulnerability_id
    )
    select id from step`,
  );
  if (!row) throw new Error('step row was not written');
  return row.id;
}

/**
 * A running step's outcome and its log line, in one statement (the log line is written only by the update that
 * ended the step); a step that already ended is left as it is. The step is found by its id when the caller has it,
 * else by its natural key; its output and details come from the agent job, which stores them once.
 */
async function endStep(
  db: Executor,
  k: StepKeys,
  e: StepResult & (StepKey | { stepId: string }),
): Promise<void> {
  const exit = e.exitCode === null ? '' : ` (exit code ${e.exitCode})`;
  const why = e.error && e.status !== 'succeeded' ? ` — ${e.error}` : '';
  const step =
    'stepId' in e
      ? sql`id = ${e.stepId}::uuid`
      : sql`task_id = ${k.taskId}::uuid and execution = ${k.execution}::int and asset_id = ${k.assetId}::uuid
          and kind = ${e.kind}::text and vulnerability_id = ${e.vulnerabilityId}::text and attempt = ${e.attempt}::int`;
  const job = sql`from ${agentJobs} j where j.id = ${e.jobId}::uuid`;
  await db.execute(sql`with ended as (
      update ${playbookTaskSteps}
      set status = ${e.status}, job_id = ${e.jobId}::uuid, exit_code = ${e.exitCode}::int,
        output = coalesce((select j.output ${job}), ''), details = (select j.details ${job}),
        error = ${e.error}::text, ended_at = now()
      where ${step} and status = 'running'
      returning id, summary
    )
    ${logLineOfEnded(k, {
      dedupeKey: sql`'step:' || id || ':end'`,
      level: e.status === 'failed' ? 'error' : 'info',
      event: `step.${e.status}`,
      message: sql`summary || ${`: ${e.status}${exit}${why}`}::text`,
      stepId: sql`id`,
    })}`);
}

/**
 * The asset's final status (guarded by the status machine), its vulnerabilities' outcomes and its log line, in one
 * statement: once the status is set, a repeated call changes nothing. The fixed vulnerabilities are fixed; whatever
 * else of this asset is still marked fixing was not, and opens again for the next task. A step still running when
 * the asset ends cancelled (its end was lost to the cancellation) ends cancelled with it.
 */
async function endAsset(db: Executor, k: StepKeys, a: AssetEnd): Promise<void> {
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

/**
 * The task's side effects as activities. Each one is idempotent — keyed by task, execution, asset, step — and
 * guarded by the status machines, so a retried or replayed call changes nothing twice.
 */
export function createPlaybookActivities(deps: ActivityDeps) {
  const { db } = deps;
  const agentActivities = createAgentActivities(deps);
  return {
    async playbookLoadTaskPlan(req: { taskId: string; execution: number }): Promise<TaskPlan> {
      const task = await taskRow(db, req.taskId);
      const [n] = await db
        .select({ n: count() })
        .from(playbookTaskAssets)
        .where(taskWhere(req.taskId, req.execution));
      // A rerun runs at once; only the first execution waits for the window it was created with.
      const windowed =
        task.mode === 'window' && req.execution === 1 && task.windowStart !== null && task.windowEnd !== null;
      const endMs = windowed ? (task.windowEnd?.getTime() ?? null) : null;
      return {
        status: task.status,
        params: task.params,
        assetCount: n?.n ?? 0,
        windowStartMs: windowed ? (task.windowStart?.getTime() ?? null) : null,
        windowEndAtMs: endMs,
        cutoffAtMs: endMs === null ? null : endMs - task.params.cutoffMinutes * 60_000,
      };
    },

    async playbookSetTaskStatus(req: {
      taskId: string;
      execution: number;
      status: TaskStatus;
    }): Promise<{ status: TaskStatus }> {
      const [updated] = await db
        .update(playbookTasks)
        .set({
          status: req.status,
          ...(req.status === 'Progressing'
            ? { startedAt: sql`coalesce(${playbookTasks.startedAt}, now())` }
            : {}),
        })
        .where(
          and(
            eq(playbookTasks.id, req.taskId),
            eq(playbookTasks.execution, req.execution),
            inArray(playbookTasks.status, taskStatusesBefore(req.status)),
          ),
        )
        .returning({ status: playbookTasks.status, accountId: playbookTasks.accountId });
      if (updated) {
        await writeLog(db, {
          accountId: updated.accountId,
          taskId: req.taskId,
          execution: req.execution,
          dedupeKey: `status:${req.status}:${Date.now()}`,
          level: 'info',
          event: 'status',
          message: `task is ${req.status}`,
        });
        return { status: updated.status };
      }
      return { status: (await taskRow(db, req.taskId)).status };
    },

    async playbookLoadBatchAssets(req: { taskId: string; execution: number; offset: number; limit: number }) {
      return db
        .select({
          assetId: playbookTaskAssets.assetId,
          name: assets.name,
          vulnerabilityCount: sql<number>`(select count(*)::int from ${playbookTaskVulnerabilities} tv where tv.task_id = ${playbookTaskAssets.taskId} and tv.asset_id = ${playbookTaskAssets.assetId})`,
        })
        .from(playbookTaskAssets)
        .innerJoin(assets, eq(assets.id, playbookTaskAssets.assetId))
        .where(
          and(
            taskWhere(req.taskId, req.execution),
            gte(playbookTaskAssets.position, req.offset),
            lt(playbookTaskAssets.position, req.offset + req.limit),
          ),
        )
        .orderBy(asc(playbookTaskAssets.position));
    },

    /** Precheck on the server side: the agent is online and which selected vulnerabilities are still present. */
    async playbookBeginAsset(req: StepKeys) {
      // One statement: the asset starts running, its selected vulnerabilities as they are now, and when its agent
      // was last heard from.
      const started = db.$with('started').as(
        db
          .update(playbookTaskAssets)
          .set({ status: 'Running', startedAt: sql`coalesce(${playbookTaskAssets.startedAt}, now())` })
          .where(
            and(
              taskWhere(req.taskId, req.execution),
              eq(playbookTaskAssets.assetId, req.assetId),
              eq(playbookTaskAssets.status, 'Pending'),
            ),
          )
          .returning({ assetId: playbookTaskAssets.assetId }),
      );
      const rows = await db
        .with(started)
        .select({
          vulnerabilityId: vulnerabilities.id,
          name: vulnerabilities.name,
          type: vulnerabilities.type,
          status: vulnerabilities.status,
          packageName: vulnerabilities.packageName,
          fixedVersion: vulnerabilities.fixedVersion,
          kbId: vulnerabilities.kbId,
          cmsComponent: vulnerabilities.cmsComponent,
          agentLastSeenAt: sql<Date | null>`(${agentLastSeen(db, req.accountId, req.assetId)})`.mapWith(
            assets.lastSeenAt,
          ),
          agentFixes: sql<AgentFixType[] | null>`(select coalesce(${agents.capabilities} -> 'fixes',
              case when ${agents.executor} is null then null else '["linux"]'::jsonb end)
            from ${agents} where ${agents.accountId} = ${req.accountId}::uuid and ${agents.assetId} = ${req.assetId}::uuid)`,
        })
        .from(playbookTaskVulnerabilities)
        .innerJoin(vulnerabilities, eq(vulnerabilities.id, playbookTaskVulnerabilities.vulnerabilityId))
        .where(
          and(
            eq(playbookTaskVulnerabilities.taskId, req.taskId),
            eq(playbookTaskVulnerabilities.assetId, req.assetId),
          ),
        )
        .orderBy(asc(vulnerabilities.id));
      const gone = rows.filter((r) => r.status === 'fixed' || r.status === 'ignored');
      if (gone.length > 0) {
        await db
          .update(playbookTaskVulnerabilities)
          .set({ status: sql`case when ${vulnerabilities.status} = 'fixed' then 'fixed' else 'skipped' end` })
          .from(vulnerabilities)
          .where(
            and(
              eq(vulnerabilities.id, playbookTaskVulnerabilities.vulnerabilityId),
              eq(playbookTaskVulnerabilities.taskId, req.taskId),
              inArray(
                playbookTaskVulnerabilities.vulnerabilityId,
                gone.map((g) => g.vulnerabilityId),
              ),
            ),
          );
      }
      const [first] = rows;
      // What the asset's agent said it can fix at registration; without an agent nothing is refused here (the
      // offline precheck fails the asset instead).
      const fixes = first?.agentFixes ?? null;
      const canFix = (type: VulnerabilityType) =>
        fixes === null || (fixes as readonly string[]).includes(type);
      const present: VulnerabilityToFix[] = rows
        .filter((r) => r.status === 'open' || r.status === 'fixing')
        .map(({ status: _s, agentLastSeenAt: _a, agentFixes: _f, ...v }) => v);
      const unsupported = present.filter((v) => !canFix(v.type));
      if (unsupported.length > 0) {
        await db
          .update(playbookTaskVulnerabilities)
          .set({ status: 'skipped', updatedAt: new Date() })
          .where(
            and(
              eq(playbookTaskVulnerabilities.taskId, req.taskId),
              eq(playbookTaskVulnerabilities.assetId, req.assetId),
              inArray(
                playbookTaskVulnerabilities.vulnerabilityId,
                unsupported.map((u) => u.vulnerabilityId),
              ),
            ),
          );
      }
      const agentOnline = first
        ? agentOnlineAt(first.agentLastSeenAt, new Date())
        : await agentIsOnline(db, req.accountId, req.assetId);
      return { agentOnline, vulnerabilities: present.filter((v) => canFix(v.type)), unsupported };
    },

    async playbookBeginStep(req: StepKeys & StepBegin): Promise<{ stepId: string }> {
      return { stepId: await beginStep(db, req, req) };
    },

    /** A step's end by its id, with the job's result (histories from before `playbookRunStep` call this). */
    async playbookEndStep(
      req: StepKeys & {
        stepId: string;
        kind: StepKind;
        status: StepStatus;
        result: AgentJobResult | null;
        error: string | null;
      },
    ): Promise<void> {
      await endStep(db, req, {
        stepId: req.stepId,
        status: req.status,
        jobId: req.result?.jobId ?? null,
        exitCode: req.result?.exitCode ?? null,
        error: req.error,
      });
    },

    async playbookEndAsset(req: StepKeys & AssetEnd): Promise<void> {
      await endAsset(db, req, req);
    },

    /**
     * One host step as one activity: writes the ends of the steps before it that are not known to be written yet,
     * begins this step and hands its job to the agent, completing asynchronously with the agent's result like
     * `runAgentJob`. Every part is idempotent, so a retried attempt re-attaches to the same step and job.
     */
    async playbookRunStep(
      req: StepKeys & {
        ends: StepEnd[];
        begin: StepBegin;
        job: Omit<AgentJobRequest, 'accountId' | 'assetId'>;
      },
    ): Promise<AgentJobResult> {
      for (const end of req.ends) await endStep(db, req, end);
      await beginStep(db, req, req.begin);
      return agentActivities.runAgentJob({ ...req.job, accountId: req.accountId, assetId: req.assetId });
    },

    /**
     * The ends of an asset's last steps and, with `asset`, the asset's own end. Each is one idempotent statement, so
     * a retry after a crash between them completes the rest.
     */
    async playbookEndSteps(req: StepKeys & { ends: StepEnd[]; asset?: AssetEnd }): Promise<void> {
      for (const end of req.ends) await endStep(db, req, end);
      if (req.asset) await endAsset(db, req, req.asset);
    },

    /** Ends an execution: assets never started get their reason, and the task its final status from the counts. */
    async playbookFinishExecution(req: {
      taskId: string;
      execution: number;
      cancelled: boolean;
      stopReason: StopReason | null;
    }): Promise<{ status: TaskStatus; counts: AssetCounts }> {
      return db.transaction(async (tx) => {
        const task = await taskRow(tx, req.taskId);
        const windowClosed = req.stopReason === 'windowClosed';
        const untouched: { status: AssetStatus; reason: string } = req.cancelled
          ? { status: 'Cancelled', reason: ASSET_REASONS.cancelled }
          : {
              status: 'Skipped',
              reason:
                req.stopReason === 'errorBudget' ? ASSET_REASONS.errorBudget : ASSET_REASONS.windowClosed,
            };
        const now = new Date();
        await tx
          .update(playbookTaskAssets)
          .set({ ...untouched, endedAt: now })
          .where(and(taskWhere(req.taskId, req.execution), eq(playbookTaskAssets.status, 'Pending')));
        if (req.cancelled) {
          await tx
            .update(playbookTaskAssets)
            .set({ status: 'Cancelled', reason: ASSET_REASONS.cancelled, endedAt: now })
            .where(and(taskWhere(req.taskId, req.execution), eq(playbookTaskAssets.status, 'Running')));
        }
        await tx
          .update(playbookTaskAssets)
          .set({ reason: windowClosed ? ASSET_REASONS.windowClosed : ASSET_REASONS.cancelled })
          .where(
            and(
              taskWhere(req.taskId, req.execution),
              eq(playbookTaskAssets.status, 'Cancelled'),
              isNull(playbookTaskAssets.reason),
            ),
          );
        await tx
          .update(playbookTaskVulnerabilities)
          .set({ status: req.cancelled ? 'cancelled' : 'skipped' })
          .where(
            and(
              eq(playbookTaskVulnerabilities.taskId, req.taskId),
              eq(playbookTaskVulnerabilities.status, 'pending'),
            ),
          );
        const rows = await tx
          .select({ status: playbookTaskAssets.status, n: count() })
          .from(playbookTaskAssets)
          .where(taskWhere(req.taskId, req.execution))
          .groupBy(playbookTaskAssets.status);
        const counts = emptyAssetCounts();
        for (const r of rows) counts[r.status] = r.n;
        const status = taskOutcome({ counts, cancelled: req.cancelled, windowClosed });
        const [dry] = await tx
          .select({ n: count() })
          .from(playbookTaskAssets)
          .where(
            and(
              taskWhere(req.taskId, req.execution),
              sql`${playbookTaskAssets.reason} like ${`%${ASSET_REASONS.dryRun}%`}`,
            ),
          );
        const dryRunNote =
          dry && dry.n > 0
            ? ` — dry run on ${dry.n} assets: nothing was changed and every vulnerability stays open`
            : '';
        await tx
          .update(playbookTasks)
          .set({ status, endedAt: now })
          .where(
            and(
              eq(playbookTasks.id, req.taskId),
              eq(playbookTasks.execution, req.execution),
              inArray(playbookTasks.status, taskStatusesBefore(status)),
            ),
          );
        await writeLog(tx, {
          accountId: task.accountId,
          taskId: req.taskId,
          execution: req.execution,
          dedupeKey: 'task:end',
          level: status === 'Succeeded' ? 'info' : 'warn',
          event: 'task.end',
          message: `task ${status}: ${counts.Succeeded} succeeded, ${counts.Failed} failed, ${counts.Skipped} skipped, ${counts.Cancelled} cancelled${dryRunNote}`,
        });
        return { status, counts };
      });
    },

    async playbookBuildNotification(req: {
      taskId: string;
      execution: number;
      event: TaskNotificationEvent;
    }) {
      return buildTaskNotification(deps, req);
    },

    async playbookLog(req: {
      taskId: string;
      execution: number;
      dedupeKey: string;
      level: 'info' | 'warn' | 'error';
      event: string;
      message: string;
    }): Promise<void> {
      const task = await taskRow(db, req.taskId);
      await writeLog(db, { ...req, accountId: task.accountId });
    },
  };
}

export type PlaybookActivities = ReturnType<typeof createPlaybookActivities>;
