import { and, asc, count, desc, eq, gt, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgSelect } from 'drizzle-orm/pg-core';
import type { Database } from '../../db/client.js';
import { equals, newestFirst } from '../../db/id-pages.js';
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
import { reusedQuery } from '../../platform/reused-queries.js';

export type TaskRow = typeof playbookTasks.$inferSelect;

/** The caller's task or a 404 (another account's task does not exist for the caller). */
export async function findTask(db: Database, accountId: string, id: string): Promise<TaskRow> {
  const query = reusedQuery(db, 'find_task', () =>
    db
      .select()
      .from(playbookTasks)
      .where(
        and(
          eq(playbookTasks.accountId, sql.placeholder('accountId')),
          eq(playbookTasks.id, sql.placeholder('id')),
        ),
      )
      .prepare('find_task'),
  );
  const [task] = await query.execute({ accountId, id });
  if (!task) throw notFound('task');
  return task;
}

/** Task management: the account's tasks, newest first, `limit + 1` rows before the cursor's id. */
export async function listTasks(
  db: Database,
  opts: { accountId: string; status?: TaskStatus; limit: number; before?: string },
): Promise<TaskRow[]> {
  return newestFirst(db, playbookTasks, opts, equals(playbookTasks.status, opts.status || undefined));
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

/**
 * The counts behind a task's log summary, in one statement (one round trip instead of three, each with its own
 * statement): units (asset × vulnerability) by status, the execution's step outcomes and attempts by kind (as
 * `stepTallies`), and its assets by status. Built once per database (`reusedQuery`) with the task as placeholders.
 */
function summaryCounts(db: Database) {
  return reusedQuery(db, 'task_summary_counts', () => {
    const s = playbookTaskSteps;
    const v = playbookTaskVulnerabilities;
    const a = playbookTaskAssets;
    const taskId = sql.placeholder('taskId');
    const execution = sql.placeholder('execution');
    const mine = and(eq(s.taskId, taskId), eq(s.execution, execution));
    const latest = db
      .selectDistinctOn([s.assetId, s.kind, s.vulnerabilityId], { kind: s.kind, status: s.status })
      .from(s)
      .where(mine)
      .orderBy(s.assetId, s.kind, s.vulnerabilityId, desc(s.attempt))
      .as('latest');
    const part = (name: 'units' | 'outcomes' | 'attempts' | 'assets') =>
      sql<typeof name>`${sql.raw(`'${name}'`)}`;
    const none = sql<string | null>`null::text`;
    return db
      .select({ part: part('units'), kind: none, status: sql<string | null>`${v.status}`, n: count() })
      .from(v)
      .where(eq(v.taskId, taskId))
      .groupBy(v.status)
      .unionAll(
        db
          .select({
            part: part('outcomes'),
            kind: sql<string | null>`${latest.kind}`,
            status: sql<string | null>`${latest.status}`,
            n: count(),
          })
          .from(latest)
          .groupBy(latest.kind, latest.status),
      )
      .unionAll(
        db
          .select({ part: part('attempts'), kind: sql<string | null>`${s.kind}`, status: none, n: count() })
          .from(s)
          .where(mine)
          .groupBy(s.kind),
      )
      .unionAll(
        db
          .select({ part: part('assets'), kind: none, status: sql<string | null>`${a.status}`, n: count() })
          .from(a)
          .where(and(eq(a.taskId, taskId), eq(a.execution, execution)))
          .groupBy(a.status),
      )
      .prepare('task_summary_counts');
  });
}

/** The seed's log summary: task status, number of processes (asset × vulnerability), failed and successful ones, each step's status. */
export async function logSummary(db: Database, task: TaskRow) {
  const rows = await summaryCounts(db).execute({ taskId: task.id, execution: task.execution });
  const units = rows.filter((r) => r.part === 'units');
  const n = (status: string) => units.find((u) => u.status === status)?.n ?? 0;
  const steps: Partial<Record<StepKind, StepTally>> = {};
  for (const r of rows)
    if (r.part === 'attempts') steps[r.kind as StepKind] = { outcomes: {}, attempts: r.n };
  for (const r of rows) {
    if (r.part !== 'outcomes') continue;
    const t = (steps[r.kind as StepKind] ??= { outcomes: {}, attempts: 0 });
    t.outcomes[r.status as keyof StepTally['outcomes']] = r.n;
  }
  const assetsByStatus = rows.filter((r) => r.part === 'assets');
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
  const c = notificationChannels;
  // One statement text for any number of channels (`= any($2)`, not an `in` list of as many parameters).
  const query = reusedQuery(db, 'task_channels', () =>
    db
      .select({ id: c.id, name: c.name, type: c.type })
      .from(c)
      .where(
        and(
          eq(c.accountId, sql.placeholder('accountId')),
          sql`${c.id} = any(${sql.placeholder('ids')}::uuid[])`,
        ),
      )
      .prepare('task_channels'),
  );
  return query.execute({ accountId: task.accountId, ids: task.channelIds });
}

/**
 * A page of a task's child rows in `key` order: those matching `conds`, after the `after` placeholder when there is
 * a cursor, `limit` placeholder rows.
 */
function keysetPage<Q extends PgSelect>(
  query: Q,
  key: PgColumn,
  withCursor: boolean,
  ...conds: (SQL | undefined)[]
) {
  return query
    .where(and(...conds, withCursor ? gt(key, sql.placeholder('after')) : undefined))
    .orderBy(asc(key))
    .limit(sql.placeholder('limit'));
}

/** A vulnerability of a task's asset as the task's asset page shows it. */
export interface TaskAssetVulnerability {
  id: string;
  name: string;
  title: string;
  type: string;
  status: string;
  /** `toISOString`'s form, made by Postgres (milliseconds truncated, as a `Date` read from the row would have). */
  latestScanAt: string;
}

/**
 * The task's vulnerabilities of the row's asset as a JSON array in the asset's own row (`[]` for none), so a page of
 * the task's assets is one statement, and the page's hundreds of vulnerabilities reach Node as one string per asset
 * for `JSON.parse` instead of as rows of seven fields each. Aliased and qualified by hand (the sub-select's tables
 * share column names with the page's).
 */
const vulnerabilitiesOf = sql<TaskAssetVulnerability[]>`coalesce((
  select json_agg(json_build_object('id', x.id, 'name', x.name, 'title', x.title, 'type', x.type, 'status', tv.status,
    'latestScanAt', to_char(x.latest_scan_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) order by x.id)
  from ${playbookTaskVulnerabilities} tv inner join ${vulnerabilities} x on x.id = tv.vulnerability_id
  where tv.task_id = ${playbookTaskAssets}.task_id and tv.asset_id = ${playbookTaskAssets}.asset_id), '[]'::json)`;

/** The statement of a page of a task's assets, built once per shape (a status filter or none, a cursor or none). */
function taskAssetPage(db: Database, withStatus: boolean, withCursor: boolean) {
  const a = playbookTaskAssets;
  return reusedQuery(db, `task_assets:${withStatus ? 'status' : ''}:${withCursor ? 'after' : ''}`, () =>
    keysetPage(
      db
        .select({
          id: a.assetId,
          name: assets.name,
          hostname: assets.hostname,
          status: a.status,
          reason: a.reason,
          startedAt: a.startedAt,
          endedAt: a.endedAt,
          vulnerabilities: vulnerabilitiesOf,
        })
        .from(a)
        .innerJoin(assets, eq(assets.id, a.assetId))
        .$dynamic(),
      a.assetId,
      withCursor,
      eq(a.taskId, sql.placeholder('taskId')),
      eq(a.execution, sql.placeholder('execution')),
      withStatus ? eq(a.status, sql.placeholder('status')) : undefined,
    ).prepare('task_assets'),
  );
}

/** The task's assets of one execution, each with its vulnerabilities (name, status, latest scan time). */
export async function taskAssets(
  db: Database,
  task: TaskRow,
  opts: { execution: number; status?: AssetStatus; limit: number; after?: string },
) {
  const rows = await taskAssetPage(db, Boolean(opts.status), Boolean(opts.after)).execute({
    taskId: task.id,
    execution: opts.execution,
    status: opts.status,
    after: opts.after,
    limit: opts.limit + 1,
  });
  return rows.map((r) => {
    // The latest of the ISO strings is the latest time (same form, four-digit years).
    let latest: string | null = null;
    for (const v of r.vulnerabilities)
      if (latest === null || v.latestScanAt > latest) latest = v.latestScanAt;
    return {
      id: r.id,
      name: r.name,
      hostname: r.hostname,
      status: r.status,
      reason: r.reason,
      startedAt: r.startedAt?.toISOString() ?? null,
      endedAt: r.endedAt?.toISOString() ?? null,
      latestScanAt: latest,
      vulnerabilities: r.vulnerabilities,
    };
  });
}

/** The statement of a page of a task's log, built once per shape (an execution or all, a cursor or none). */
function taskLogPage(db: Database, withExecution: boolean, withCursor: boolean) {
  const l = playbookTaskLogs;
  const s = playbookTaskSteps;
  return reusedQuery(db, `task_logs:${withExecution ? 'execution' : ''}:${withCursor ? 'after' : ''}`, () =>
    keysetPage(
      db
        .select({
          id: l.id,
          at: l.at,
          execution: l.execution,
          level: l.level,
          event: l.event,
          message: l.message,
          assetId: l.assetId,
          stepId: l.stepId,
          step: {
            kind: s.kind,
            status: s.status,
            attempt: s.attempt,
            jobId: s.jobId,
            exitCode: s.exitCode,
            output: s.output,
            startedAt: s.startedAt,
            endedAt: s.endedAt,
          },
        })
        .from(l)
        .leftJoin(s, eq(s.id, l.stepId))
        .$dynamic(),
      l.id,
      withCursor,
      eq(l.taskId, sql.placeholder('taskId')),
      withExecution ? eq(l.execution, sql.placeholder('execution')) : undefined,
    ).prepare('task_logs'),
  );
}

/** Log entries in order; step entries carry the step's full agent output. */
export async function taskLogs(
  db: Database,
  task: TaskRow,
  opts: { execution?: number; limit: number; after?: string },
) {
  const rows = await taskLogPage(db, opts.execution !== undefined, Boolean(opts.after)).execute({
    taskId: task.id,
    execution: opts.execution,
    after: opts.after,
    limit: opts.limit + 1,
  });
  return rows.map((r) => ({
    id: r.id,
    at: r.at.toISOString(),
    execution: r.execution,
    level: r.level,
    event: r.event,
    message: r.message,
    assetId: r.assetId,
    stepId: r.stepId,
    step:
      r.step && r.stepId
        ? {
            kind: r.step.kind,
            status: r.step.status,
            attempt: r.step.attempt,
            jobId: r.step.jobId,
            exitCode: r.step.exitCode,
            output: r.step.output,
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
