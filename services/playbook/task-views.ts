import { and, asc, count, desc, eq, gt, inArray, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { newestFirst } from '../../db/id-pages.js';
import { vulnerabilities } from '../../db/schema/findings.js';
import { assets } from '../../db/schema/inventory.js';
import { notificationChannels } from '../../db/schema/notifications.js';
import {
  playbookTaskAssets,
  playbookTaskLogs,
  playbookTasks,
  playbookTaskSteps,
  playbookTaskVulnerabilities,
} from '../../db/schema/playbook.js';
import { buildFlow, type StepTally, type TFlowGraph } from '../../domain/playbook/flow.js';
import {
  STEP_KINDS,
  type AssetStatus,
  type StepKind,
  type TaskStatus,
} from '../../domain/playbook/status.js';
import { notFound } from '../../domain/errors.js';

export type TaskRow = typeof playbookTasks.$inferSelect;

/** The caller's task or a 404 (another account's task does not exist for the caller). */
export async function findTask(db: Database, accountId: string, id: string): Promise<TaskRow> {
  const [task] = await db
    .select()
    .from(playbookTasks)
    .where(and(eq(playbookTasks.accountId, accountId), eq(playbookTasks.id, id)));
  if (!task) throw notFound('task');
  return task;
}

/** Task management: the account's tasks, newest first, `limit + 1` rows before the cursor's id. */
export async function listTasks(
  db: Database,
  opts: { accountId: string; status?: TaskStatus; limit: number; before?: string },
): Promise<TaskRow[]> {
  return newestFirst(
    db,
    playbookTasks,
    opts,
    opts.status ? eq(playbookTasks.status, opts.status) : undefined,
  );
}

export function toTaskDto(t: TaskRow) {
  return {
    id: t.id,
    name: t.name,
    policyId: t.policyId,
    status: t.status,
    executions: t.execution,
    mode: t.mode,
    window:
      t.mode === 'window' && t.windowStart && t.windowEnd
        ? {
            start: t.windowStart.toISOString(),
            end: t.windowEnd.toISOString(),
            timeZone: t.timeZone ?? 'UTC',
          }
        : null,
    assetCount: t.assetCount,
    vulnerabilityCount: t.vulnerabilityCount,
    channelIds: t.channelIds,
    params: t.params as unknown as Record<string, unknown>,
    createdAt: t.createdAt.toISOString(),
    startedAt: t.startedAt?.toISOString() ?? null,
    endedAt: t.endedAt?.toISOString() ?? null,
    updatedAt: t.updatedAt.toISOString(),
  };
}

/**
 * Steps of an execution by kind: outcomes (each asset's — and for fixes each vulnerability's — last attempt, by
 * status) and all attempts. A fix that failed once and succeeded on its retry is one success and two attempts.
 */
export async function stepTallies(
  db: Database,
  task: TaskRow,
  execution: number,
): Promise<Partial<Record<StepKind, StepTally>>> {
  const s = playbookTaskSteps;
  const mine = and(eq(s.taskId, task.id), eq(s.execution, execution));
  const latest = db
    .selectDistinctOn([s.assetId, s.kind, s.vulnerabilityId], { kind: s.kind, status: s.status })
    .from(s)
    .where(mine)
    .orderBy(s.assetId, s.kind, s.vulnerabilityId, desc(s.attempt))
    .as('latest');
  const [outcomes, attempts] = await Promise.all([
    db
      .select({ kind: latest.kind, status: latest.status, n: count() })
      .from(latest)
      .groupBy(latest.kind, latest.status),
    db.select({ kind: s.kind, n: count() }).from(s).where(mine).groupBy(s.kind),
  ]);
  const out: Partial<Record<StepKind, StepTally>> = {};
  for (const r of attempts) out[r.kind] = { outcomes: {}, attempts: r.n };
  for (const r of outcomes) {
    const t = (out[r.kind] ??= { outcomes: {}, attempts: 0 });
    t.outcomes[r.status] = r.n;
  }
  return out;
}

/** The seed's log summary: task status, number of processes (asset × vulnerability), failed and successful ones, each step's status. */
export async function logSummary(db: Database, task: TaskRow) {
  const units = await db
    .select({ status: playbookTaskVulnerabilities.status, n: count() })
    .from(playbookTaskVulnerabilities)
    .where(eq(playbookTaskVulnerabilities.taskId, task.id))
    .groupBy(playbookTaskVulnerabilities.status);
  const n = (s: string) => units.find((u) => u.status === s)?.n ?? 0;
  const steps = await stepTallies(db, task, task.execution);
  const assetsByStatus = await db
    .select({ status: playbookTaskAssets.status, n: count() })
    .from(playbookTaskAssets)
    .where(and(eq(playbookTaskAssets.taskId, task.id), eq(playbookTaskAssets.execution, task.execution)))
    .groupBy(playbookTaskAssets.status);
  return {
    status: task.status,
    execution: task.execution,
    processes: units.reduce((a, u) => a + u.n, 0),
    succeeded: n('fixed'),
    failed: n('failed'),
    pending: n('pending') + n('fixing'),
    skipped: n('skipped') + n('cancelled'),
    assets: Object.fromEntries(assetsByStatus.map((a) => [a.status, a.n])) as Partial<
      Record<AssetStatus, number>
    >,
    steps: STEP_KINDS.filter((k) => steps[k] !== undefined).map((kind) => {
      const c = steps[kind]?.outcomes ?? {};
      const status =
        (c.running ?? 0) > 0
          ? 'running'
          : (c.failed ?? 0) > 0
            ? 'failed'
            : (c.succeeded ?? 0) > 0
              ? 'succeeded'
              : 'skipped';
      return { kind, status, counts: c, attempts: steps[kind]?.attempts ?? 0 };
    }),
  };
}

export async function taskChannels(db: Database, task: TaskRow) {
  if (task.channelIds.length === 0) return [];
  return db
    .select({ id: notificationChannels.id, name: notificationChannels.name, type: notificationChannels.type })
    .from(notificationChannels)
    .where(
      and(
        eq(notificationChannels.accountId, task.accountId),
        inArray(notificationChannels.id, task.channelIds),
      ),
    );
}

/** The task's assets of one execution, each with its vulnerabilities (name, status, latest scan time). */
export async function taskAssets(
  db: Database,
  task: TaskRow,
  opts: { execution: number; status?: AssetStatus; limit: number; after?: string },
) {
  const conds: SQL[] = [
    eq(playbookTaskAssets.taskId, task.id),
    eq(playbookTaskAssets.execution, opts.execution),
  ];
  if (opts.status) conds.push(eq(playbookTaskAssets.status, opts.status));
  if (opts.after) conds.push(gt(playbookTaskAssets.assetId, opts.after));
  const rows = await db
    .select({
      id: playbookTaskAssets.assetId,
      name: assets.name,
      hostname: assets.hostname,
      status: playbookTaskAssets.status,
      reason: playbookTaskAssets.reason,
      startedAt: playbookTaskAssets.startedAt,
      endedAt: playbookTaskAssets.endedAt,
    })
    .from(playbookTaskAssets)
    .innerJoin(assets, eq(assets.id, playbookTaskAssets.assetId))
    .where(and(...conds))
    .orderBy(asc(playbookTaskAssets.assetId))
    .limit(opts.limit + 1);
  const vulns =
    rows.length === 0
      ? []
      : await db
          .select({
            assetId: playbookTaskVulnerabilities.assetId,
            id: vulnerabilities.id,
            name: vulnerabilities.name,
            title: vulnerabilities.title,
            type: vulnerabilities.type,
            status: playbookTaskVulnerabilities.status,
            latestScanAt: vulnerabilities.latestScanAt,
          })
          .from(playbookTaskVulnerabilities)
          .innerJoin(vulnerabilities, eq(vulnerabilities.id, playbookTaskVulnerabilities.vulnerabilityId))
          .where(
            and(
              eq(playbookTaskVulnerabilities.taskId, task.id),
              inArray(
                playbookTaskVulnerabilities.assetId,
                rows.map((r) => r.id),
              ),
            ),
          );
  return rows.map((r) => {
    const mine = vulns.filter((v) => v.assetId === r.id);
    const latest = mine.reduce<Date | null>(
      (a, v) => (a === null || v.latestScanAt > a ? v.latestScanAt : a),
      null,
    );
    return {
      ...r,
      startedAt: r.startedAt?.toISOString() ?? null,
      endedAt: r.endedAt?.toISOString() ?? null,
      latestScanAt: latest?.toISOString() ?? null,
      vulnerabilities: mine.map(({ assetId: _a, latestScanAt, ...v }) => ({
        ...v,
        latestScanAt: latestScanAt.toISOString(),
      })),
    };
  });
}

/** Log entries in order; step entries carry the step's full agent output. */
export async function taskLogs(
  db: Database,
  task: TaskRow,
  opts: { execution?: number; limit: number; after?: string },
) {
  const conds: SQL[] = [eq(playbookTaskLogs.taskId, task.id)];
  if (opts.execution !== undefined) conds.push(eq(playbookTaskLogs.execution, opts.execution));
  if (opts.after) conds.push(gt(playbookTaskLogs.id, opts.after));
  const rows = await db
    .select({
      id: playbookTaskLogs.id,
      at: playbookTaskLogs.at,
      execution: playbookTaskLogs.execution,
      level: playbookTaskLogs.level,
      event: playbookTaskLogs.event,
      message: playbookTaskLogs.message,
      assetId: playbookTaskLogs.assetId,
      stepId: playbookTaskLogs.stepId,
      step: {
        kind: playbookTaskSteps.kind,
        status: playbookTaskSteps.status,
        attempt: playbookTaskSteps.attempt,
        jobId: playbookTaskSteps.jobId,
        exitCode: playbookTaskSteps.exitCode,
        output: playbookTaskSteps.output,
        startedAt: playbookTaskSteps.startedAt,
        endedAt: playbookTaskSteps.endedAt,
      },
    })
    .from(playbookTaskLogs)
    .leftJoin(playbookTaskSteps, eq(playbookTaskSteps.id, playbookTaskLogs.stepId))
    .where(and(...conds))
    .orderBy(asc(playbookTaskLogs.id))
    .limit(opts.limit + 1);
  return rows.map((r) => ({
    ...r,
    at: r.at.toISOString(),
    step:
      r.step && r.stepId
        ? {
            ...r.step,
            startedAt: r.step.startedAt.toISOString(),
            endedAt: r.step.endedAt?.toISOString() ?? null,
          }
        : null,
  }));
}

export async function taskFlow(db: Database, task: TaskRow): Promise<TFlowGraph> {
  const [notified] = await db
    .select({ n: count() })
    .from(playbookTaskLogs)
    .where(
      and(
        eq(playbookTaskLogs.taskId, task.id),
        eq(playbookTaskLogs.execution, task.execution),
        eq(playbookTaskLogs.event, 'notify'),
      ),
    );
  return buildFlow({
    taskStatus: task.status,
    windowed: task.mode === 'window' && task.execution === 1,
    // startedAt is set when the task turns Progressing: a task cancelled or expired in its wait has none.
    windowReached: task.startedAt !== null,
    snapshot: task.params.snapshot.enabled,
    verify: task.params.verifyAfterFix,
    reboot: task.params.reboot !== 'never',
    steps: await stepTallies(db, task, task.execution),
    notificationsSent: notified?.n ?? 0,
    channels: task.channelIds.length,
  });
}
