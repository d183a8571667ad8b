import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { TPolicyParams } from '../../domain/playbook/policy.js';
import {
  ASSET_STATUSES,
  STEP_KINDS,
  STEP_STATUSES,
  TASK_STATUSES,
  TASK_VULNERABILITY_STATUSES,
} from '../../domain/playbook/status.js';
import { accountIdColumn, createdAt, idColumn, tstz, updatedAt } from './columns.js';
import { assets } from './inventory.js';
import { vulnerabilities } from './findings.js';

/** My Policy: clones of the system template (a code constant, `SYSTEM_TEMPLATE`) with edited parameters. */
export const playbookPolicies = pgTable(
  'playbook_policies',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    templateId: uuid('template_id').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    params: jsonb('params').$type<TPolicyParams>().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('playbook_policies_account_idx').on(t.accountId, t.id)],
);

export interface TaskAssetSelection {
  groupIds: string[];
  assetIds: string[];
  search: string | null;
  /** Absent on tasks created before exclusions existed. */
  excludeAssetIds?: string[];
}

/**
 * A fix task. `params` is the policy's parameters when the task was created (editing the policy later does not
 * change a task); `execution` counts runs (a rerun of the failed assets is execution 2, 3, …).
 */
export const playbookTasks = pgTable(
  'playbook_tasks',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    /** Null once the policy is deleted; the task keeps the parameters it was created with. */
    policyId: uuid('policy_id').references(() => playbookPolicies.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    params: jsonb('params').$type<TPolicyParams>().notNull(),
    status: text('status', { enum: TASK_STATUSES }).notNull(),
    execution: integer('execution').notNull().default(1),
    mode: text('mode', { enum: ['now', 'window'] }).notNull(),
    windowStart: tstz('window_start'),
    windowEnd: tstz('window_end'),
    timeZone: text('time_zone'),
    selection: jsonb('selection').$type<TaskAssetSelection>().notNull(),
    channelIds: uuid('channel_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    assetCount: integer('asset_count').notNull(),
    vulnerabilityCount: integer('vulnerability_count').notNull(),
    /** Outbox marker: the execution whose workflow start Temporal acknowledged; behind `execution` → start it. */
    startedExecution: integer('started_execution').notNull().default(0),
    createdBy: text('created_by').notNull(),
    startedAt: tstz('started_at'),
    endedAt: tstz('ended_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('playbook_tasks_account_idx').on(t.accountId, t.id),
    index('playbook_tasks_account_status_idx').on(t.accountId, t.status),
    index('playbook_tasks_policy_idx').on(t.policyId, t.status),
  ],
);

/** The task's assets per execution, in dispatch order (`position`); batches load their slice by position. */
export const playbookTaskAssets = pgTable(
  'playbook_task_assets',
  {
    accountId: accountIdColumn(),
    taskId: uuid('task_id')
      .notNull()
      .references(() => playbookTasks.id, { onDelete: 'cascade' }),
    execution: integer('execution').notNull(),
    assetId: uuid('asset_id')
      .notNull()
      .references(() => assets.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    status: text('status', { enum: ASSET_STATUSES }).notNull().default('Pending'),
    /** Why it failed, was skipped or cancelled, in words. */
    reason: text('reason'),
    startedAt: tstz('started_at'),
    endedAt: tstz('ended_at'),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.taskId, t.execution, t.assetId] }),
    uniqueIndex('playbook_task_assets_position_uq').on(t.taskId, t.execution, t.position),
    index('playbook_task_assets_status_idx').on(t.taskId, t.execution, t.status),
  ],
);

/** The (asset, vulnerability) units the task fixes — the seed's "processes". Latest execution's outcome. */
export const playbookTaskVulnerabilities = pgTable(
  'playbook_task_vulnerabilities',
  {
    accountId: accountIdColumn(),
    taskId: uuid('task_id')
      .notNull()
      .references(() => playbookTasks.id, { onDelete: 'cascade' }),
    vulnerabilityId: uuid('vulnerability_id')
      .notNull()
      .references(() => vulnerabilities.id, { onDelete: 'cascade' }),
    assetId: uuid('asset_id')
      .notNull()
      .references(() => assets.id, { onDelete: 'cascade' }),
    status: text('status', { enum: TASK_VULNERABILITY_STATUSES }).notNull().default('pending'),
    execution: integer('execution').notNull().default(1),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.taskId, t.vulnerabilityId] }),
    index('playbook_task_vulnerabilities_asset_idx').on(t.taskId, t.assetId),
  ],
);

/**
 * One row per step of an asset's run: precheck, snapshot, fix (per vulnerability and attempt), verify, reboot.
 * The agent job's full output is in `agent_jobs.output` (`jobId`); `output` keeps it with the step.
 */
export const playbookTaskSteps = pgTable(
  'playbook_task_steps',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    taskId: uuid('task_id')
      .notNull()
      .references(() => playbookTasks.id, { onDelete: 'cascade' }),
    execution: integer('execution').notNull(),
    assetId: uuid('asset_id').notNull(),
    kind: text('kind', { enum: STEP_KINDS }).notNull(),
    /** '' for steps about the whole asset. */
    vulnerabilityId: text('vulnerability_id').notNull().default(''),
    attempt: integer('attempt').notNull().default(1),
    status: text('status', { enum: STEP_STATUSES }).notNull(),
    summary: text('summary').notNull(),
    jobId: uuid('job_id'),
    exitCode: integer('exit_code'),
    output: text('output').notNull().default(''),
    error: text('error'),
    details: jsonb('details').$type<Record<string, unknown>>(),
    startedAt: tstz('started_at').notNull().defaultNow(),
    endedAt: tstz('ended_at'),
  },
  (t) => [
    uniqueIndex('playbook_task_steps_natural_uq').on(
      t.taskId,
      t.execution,
      t.assetId,
      t.kind,
      t.vulnerabilityId,
      t.attempt,
    ),
    index('playbook_task_steps_task_idx').on(t.taskId, t.execution, t.kind, t.status),
  ],
);

/** The task's log: what happened, in order. Step entries point at their step (and so at the full output). */
export const playbookTaskLogs = pgTable(
  'playbook_task_logs',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    taskId: uuid('task_id')
      .notNull()
      .references(() => playbookTasks.id, { onDelete: 'cascade' }),
    execution: integer('execution').notNull(),
    /** Makes a retried activity's log line a no-op: e.g. `step:<stepId>:end`, `task:notify:end`. */
    dedupeKey: text('dedupe_key').notNull(),
    level: text('level', { enum: ['info', 'warn', 'error'] }).notNull(),
    event: text('event').notNull(),
    message: text('message').notNull(),
    assetId: uuid('asset_id'),
    stepId: uuid('step_id'),
    at: tstz('at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('playbook_task_logs_dedupe_uq').on(t.taskId, t.execution, t.dedupeKey),
    index('playbook_task_logs_task_idx').on(t.taskId, t.id),
  ],
);
