import { and, asc, count, eq, gte, inArray, isNull, lt, sql } from 'drizzle-orm';
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
  taskOutcome,
  taskStatusesBefore,
  type AssetCounts,
  type AssetStatus,
  type StepKind,
  type StepStatus,
  type TaskStatus,
} from '../../domain/playbook/status.js';
import type { VulnerabilityType } from '../../domain/findings.js';
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

    /** Precheck on the server side: the agent is online and which selected vulnerabilities are still present. */
    async playbookBeginAsset(req: { accountId: string; taskId: string; execution: number; assetId: string }) {
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
      return { agentOnline: await agentIsOnline(db, req.accountId, req.assetId), vulnerabilities: present };
    },

    async playbookBeginStep(req: {
      accountId: string;
      taskId: string;
      execution: number;
      assetId: string;
      kind: StepKind;
      vulnerabilityId: string;
      attempt: number;
      summary: string;
    }): Promise<{ stepId: string }> {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(playbookTaskSteps)
          .values({ ...req, status: 'running' })
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
        if (req.kind === 'fix' && req.vulnerabilityId !== '') {
          await tx
            .update(vulnerabilities)
            .set({ status: 'fixing' })
            .where(and(eq(vulnerabilities.id, req.vulnerabilityId), eq(vulnerabilities.status, 'open')));
          await tx
            .update(playbookTaskVulnerabilities)
            .set({ status: 'fixing', execution: req.execution })
            .where(
              and(
                eq(playbookTaskVulnerabilities.taskId, req.taskId),
                eq(playbookTaskVulnerabilities.vulnerabilityId, req.vulnerabilityId),
              ),
            );
        }
        return { stepId: row.id };
      });
    },

    async playbookEndStep(req: {
      accountId: string;
      taskId: string;
      execution: number;
      assetId: string;
      stepId: string;
      kind: StepKind;
      status: StepStatus;
      result: AgentJobResult | null;
      error: string | null;
    }): Promise<void> {
      const [step] = await db
        .update(playbookTaskSteps)
        .set({
          status: req.status,
          jobId: req.result?.jobId ?? null,
          exitCode: req.result?.exitCode ?? null,
          output: req.result?.output ?? '',
          details: req.result?.details ?? null,
          error: req.error,
          endedAt: new Date(),
        })
        .where(and(eq(playbookTaskSteps.id, req.stepId), eq(playbookTaskSteps.status, 'running')))
        .returning({ summary: playbookTaskSteps.summary });
      if (!step) return;
      await writeLog(db, {
        accountId: req.accountId,
        taskId: req.taskId,
        execution: req.execution,
        dedupeKey: `step:${req.stepId}:end`,
        level: req.status === 'failed' ? 'error' : 'info',
        event: `step.${req.status}`,
        message: `${step.summary}: ${req.status}${req.result ? ` (exit code ${req.result.exitCode})` : ''}${req.error && req.status !== 'succeeded' ? ` — ${req.error}` : ''}`,
        assetId: req.assetId,
        stepId: req.stepId,
      });
    },

    async playbookEndAsset(req: {
      accountId: string;
      taskId: string;
      execution: number;
      assetId: string;
      status: AssetStatus;
      reason: string | null;
      fixedVulnerabilityIds: string[];
      failedVulnerabilityIds: string[];
    }): Promise<void> {
      await db.transaction(async (tx) => {
        const [updated] = await tx
          .update(playbookTaskAssets)
          .set({ status: req.status, reason: req.reason, endedAt: new Date() })
          .where(
            and(
              taskWhere(req.taskId, req.execution),
              eq(playbookTaskAssets.assetId, req.assetId),
              inArray(playbookTaskAssets.status, assetStatusesBefore(req.status)),
            ),
          )
          .returning({ status: playbookTaskAssets.status });
        if (!updated) return;
        const now = new Date();
        if (req.fixedVulnerabilityIds.length > 0) {
          await tx
            .update(vulnerabilities)
            .set({ status: 'fixed', fixedAt: now, latestScanAt: now })
            .where(
              and(
                inArray(vulnerabilities.id, req.fixedVulnerabilityIds),
                inArray(vulnerabilities.status, ['open', 'fixing']),
              ),
            );
          await tx
            .update(playbookTaskVulnerabilities)
            .set({ status: 'fixed', execution: req.execution })
            .where(
              and(
                eq(playbookTaskVulnerabilities.taskId, req.taskId),
                inArray(playbookTaskVulnerabilities.vulnerabilityId, req.fixedVulnerabilityIds),
              ),
            );
        }
        // Whatever is still marked fixing on this asset was not fixed: open again for the next task.
        await tx
          .update(vulnerabilities)
          .set({ status: 'open' })
          .where(
            and(
              eq(vulnerabilities.status, 'fixing'),
              inArray(
                vulnerabilities.id,
                tx
                  .select({ id: playbookTaskVulnerabilities.vulnerabilityId })
                  .from(playbookTaskVulnerabilities)
                  .where(
                    and(
                      eq(playbookTaskVulnerabilities.taskId, req.taskId),
                      eq(playbookTaskVulnerabilities.assetId, req.assetId),
                    ),
                  ),
              ),
            ),
          );
        await tx
          .update(playbookTaskVulnerabilities)
          .set({ status: req.status === 'Cancelled' ? 'cancelled' : 'failed', execution: req.execution })
          .where(
            and(
              eq(playbookTaskVulnerabilities.taskId, req.taskId),
              eq(playbookTaskVulnerabilities.assetId, req.assetId),
              inArray(playbookTaskVulnerabilities.status, ['pending', 'fixing', 'failed', 'cancelled']),
            ),
          );
        await writeLog(tx, {
          accountId: req.accountId,
          taskId: req.taskId,
          execution: req.execution,
          dedupeKey: `asset:${req.assetId}:end`,
          level: req.status === 'Failed' ? 'error' : 'info',
          event: `asset.${req.status}`,
          message: `asset ${req.status}${req.reason ? `: ${req.reason}` : ''}`,
          assetId: req.assetId,
        });
      });
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
