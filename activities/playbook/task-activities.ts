import { and, asc, count, eq, gte, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { vulnerabilities } from '../../db/schema/findings.js';
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
  precheckSummary,
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
import { agentIsOnline } from '../agents/run-agent-job.js';
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

export interface StepBegin {
  kind: StepKind;
  vulnerabilityId: string;
  attempt: number;
  summary: string;
}

export interface StepEnd {
  stepId: string;
  kind: StepKind;
  status: StepStatus;
  result: AgentJobResult | null;
  error: string | null;
}

export interface AssetEnd {
  status: AssetStatus;
  reason: string | null;
  fixedVulnerabilityIds: string[];
  failedVulnerabilityIds: string[];
}

/** A `task_steps` row (once per task, execution, asset, kind, vulnerability and attempt); a fix marks its vulnerability fixing. */
async function beginStep(tx: Executor, k: StepKeys, b: StepBegin): Promise<string> {
  const [row] = await tx
    .insert(playbookTaskSteps)
    .values({
      accountId: k.accountId,
      taskId: k.taskId,
      execution: k.execution,
      assetId: k.assetId,
      kind: b.kind,
      vulnerabilityId: b.vulnerabilityId,
      attempt: b.attempt,
      summary: b.summary,
      status: 'running',
    })
    .onConflictDoUpdate({
      target: [
        playbookTaskSteps.taskId,
        playbookTaskSteps.execution,
        playbookTaskSteps.assetId,
        playbookTaskSteps.kind,
        playbookTaskSteps.vulnerabilityId,
        playbookTaskSteps.attempt,
      ],
      set: { summary: sql`excluded.summary` },
    })
    .returning({ id: playbookTaskSteps.id });
  if (!row) throw new Error('step row was not written');
  if (b.kind === 'fix' && b.vulnerabilityId !== '') {
    await tx
      .update(vulnerabilities)
      .set({ status: 'fixing' })
      .where(and(eq(vulnerabilities.id, b.vulnerabilityId), eq(vulnerabilities.status, 'open')));
    await tx
      .update(playbookTaskVulnerabilities)
      .set({ status: 'fixing', execution: k.execution })
      .where(
        and(
          eq(playbookTaskVulnerabilities.taskId, k.taskId),
          eq(playbookTaskVulnerabilities.vulnerabilityId, b.vulnerabilityId),
        ),
      );
  }
  return row.id;
}

/**
 * A running step's outcome and its log line, in one statement (the log line is written only by the update that
 * ended the step); a step that already ended is left as it is.
 */
async function endStep(db: Executor, k: StepKeys, e: StepEnd): Promise<void> {
  const exit = e.result ? ` (exit code ${e.result.exitCode})` : '';
  const why = e.error && e.status !== 'succeeded' ? ` — ${e.error}` : '';
  await db.execute(sql`with ended as (
      update ${playbookTaskSteps}
      set status = ${e.status}, job_id = ${e.result?.jobId ?? null}::uuid, exit_code = ${e.result?.exitCode ?? null}::int,
        output = ${e.result?.output ?? ''}::text, details = ${e.result ? JSON.stringify(e.result.details) : null}::jsonb,
        error = ${e.error}::text, ended_at = now()
      where id = ${e.stepId}::uuid and status = 'running'
      returning summary
    )
    insert into ${playbookTaskLogs} (id, account_id, task_id, execution, dedupe_key, level, event, message, asset_id, step_id)
    select ${uuidv7()}::uuid, ${k.accountId}::uuid, ${k.taskId}::uuid, ${k.execution}::int, ${`step:${e.stepId}:end`}::text,
      ${e.status === 'failed' ? 'error' : 'info'}::text, ${`step.${e.status}`}::text, summary || ${`: ${e.status}${exit}${why}`}::text,
      ${k.assetId}::uuid, ${e.stepId}::uuid
    from ended
    on conflict do nothing`);
}

/**
 * The asset's final status (guarded by the status machine), its vulnerabilities' outcomes and its log line. A step
 * still running when the asset ends cancelled (its end was lost to the cancellation) ends cancelled with it.
 */
async function endAsset(tx: Executor, k: StepKeys, a: AssetEnd): Promise<void> {
  const [updated] = await tx
    .update(playbookTaskAssets)
    .set({ status: a.status, reason: a.reason, endedAt: new Date() })
    .where(
      and(
        taskWhere(k.taskId, k.execution),
        eq(playbookTaskAssets.assetId, k.assetId),
        inArray(playbookTaskAssets.status, assetStatusesBefore(a.status)),
      ),
    )
    .returning({ status: playbookTaskAssets.status });
  if (!updated) return;
  const now = new Date();
  const fixed = a.fixedVulnerabilityIds;
  const taskVulnerabilities = and(
    eq(playbookTaskVulnerabilities.taskId, k.taskId),
    eq(playbookTaskVulnerabilities.assetId, k.assetId),
  );
  // The fixed vulnerabilities are fixed; whatever else of this asset is still marked fixing was not: open again for
  // the next task.
  const isFixed = inArray(vulnerabilities.id, fixed);
  await tx
    .update(vulnerabilities)
    .set({
      status: sql`case when ${isFixed} then 'fixed' else 'open' end`,
      fixedAt: sql`case when ${isFixed} then ${now.toISOString()}::timestamptz else ${vulnerabilities.fixedAt} end`,
      latestScanAt: sql`case when ${isFixed} then ${now.toISOString()}::timestamptz else ${vulnerabilities.latestScanAt} end`,
    })
    .where(
      and(
        inArray(
          vulnerabilities.id,
          tx
            .select({ id: playbookTaskVulnerabilities.vulnerabilityId })
            .from(playbookTaskVulnerabilities)
            .where(taskVulnerabilities),
        ),
        or(
          and(isFixed, inArray(vulnerabilities.status, ['open', 'fixing'])),
          eq(vulnerabilities.status, 'fixing'),
        ),
      ),
    );
  const taskVulnerabilityFixed = inArray(playbookTaskVulnerabilities.vulnerabilityId, fixed);
  await tx
    .update(playbookTaskVulnerabilities)
    .set({
      status: sql`case when ${taskVulnerabilityFixed} then 'fixed' else ${a.status === 'Cancelled' ? 'cancelled' : 'failed'} end`,
      execution: k.execution,
    })
    .where(
      and(
        taskVulnerabilities,
        or(
          taskVulnerabilityFixed,
          inArray(playbookTaskVulnerabilities.status, ['pending', 'fixing', 'failed', 'cancelled']),
        ),
      ),
    );
  await writeLog(tx, {
    accountId: k.accountId,
    taskId: k.taskId,
    execution: k.execution,
    dedupeKey: `asset:${k.assetId}:end`,
    level: a.status === 'Failed' ? 'error' : 'info',
    event: `asset.${a.status}`,
    message: `asset ${a.status}${a.reason ? `: ${a.reason}` : ''}`,
    assetId: k.assetId,
  });
  if (a.status === 'Cancelled') {
    await tx
      .update(playbookTaskSteps)
      .set({ status: 'cancelled', error: 'cancelled', endedAt: now })
      .where(
        and(
          eq(playbookTaskSteps.taskId, k.taskId),
          eq(playbookTaskSteps.execution, k.execution),
          eq(playbookTaskSteps.assetId, k.assetId),
          eq(playbookTaskSteps.status, 'running'),
        ),
      );
  }
}

/**
 * The task's side effects as activities. Each one is idempotent — keyed by task, execution, asset, step — and
 * guarded by the status machines, so a retried or replayed call changes nothing twice.
 */
export function createPlaybookActivities(deps: ActivityDeps) {
  const { db } = deps;
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

    /**
     * Precheck on the server side: the agent is online and which selected vulnerabilities are still present. With
     * `precheck`, also begins the agent precheck step when there is one to run (online, something left to fix).
     */
    async playbookBeginAsset(req: StepKeys & { precheck?: { assetName: string } }) {
      await db
        .update(playbookTaskAssets)
        .set({ status: 'Running', startedAt: sql`coalesce(${playbookTaskAssets.startedAt}, now())` })
        .where(
          and(
            taskWhere(req.taskId, req.execution),
            eq(playbookTaskAssets.assetId, req.assetId),
            eq(playbookTaskAssets.status, 'Pending'),
          ),
        );
      const rows = await db
        .select({
          vulnerabilityId: vulnerabilities.id,
          name: vulnerabilities.name,
          type: vulnerabilities.type,
          status: vulnerabilities.status,
          packageName: vulnerabilities.packageName,
          fixedVersion: vulnerabilities.fixedVersion,
          kbId: vulnerabilities.kbId,
          cmsComponent: vulnerabilities.cmsComponent,
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
      const present: VulnerabilityToFix[] = rows
        .filter((r) => r.status === 'open' || r.status === 'fixing')
        .map(({ status: _s, ...v }) => v);
      const agentOnline = await agentIsOnline(db, req.accountId, req.assetId);
      if (!req.precheck || !agentOnline || present.length === 0)
        return { agentOnline, vulnerabilities: present };
      const precheckStepId = await beginStep(db, req, {
        kind: 'precheck',
        vulnerabilityId: '',
        attempt: 1,
        summary: precheckSummary(present.length, req.precheck.assetName),
      });
      return { agentOnline, vulnerabilities: present, precheckStepId };
    },

    async playbookBeginStep(req: StepKeys & StepBegin): Promise<{ stepId: string }> {
      return { stepId: await db.transaction((tx) => beginStep(tx, req, req)) };
    },

    async playbookEndStep(req: StepKeys & StepEnd): Promise<void> {
      await endStep(db, req, req);
    },

    async playbookEndAsset(req: StepKeys & AssetEnd): Promise<void> {
      await db.transaction((tx) => endAsset(tx, req, req));
    },

    /**
     * What happens between two host steps, in one local activity: the step that just ended, the next one's start,
     * and — after the last step — the asset's end. Each part is optional and as idempotent as the
     * single-purpose activities above (which committed histories from before this existed still call).
     */
    async playbookAdvanceAsset(
      req: StepKeys & { end?: StepEnd; begin?: StepBegin; finish?: AssetEnd },
    ): Promise<{ stepId: string | null }> {
      const apply = async (ex: Executor) => {
        if (req.end) await endStep(ex, req, req.end);
        const stepId = req.begin ? await beginStep(ex, req, req.begin) : null;
        if (req.finish) await endAsset(ex, req, req.finish);
        return { stepId };
      };
      // A step's end and the next one's start are idempotent statement by statement: a retry after a crash between
      // them completes the rest. The asset's end skips everything once its status is set, so it needs the transaction.
      return req.finish ? db.transaction(apply) : apply(db);
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
          message: `task ${status}: ${counts.Succeeded} succeeded, ${counts.Failed} failed, ${counts.Skipped} skipped, ${counts.Cancelled} cancelled`,
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
