import { sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../client.js';
import { agentJobs } from '../schema/agents.js';
import { vulnerabilities } from '../schema/findings.js';
import { playbookTaskSteps, playbookTaskVulnerabilities } from '../schema/playbook.js';
import { uuidv7 } from '../../domain/ids.js';
import type { StepKind, StepStatus } from '../../domain/playbook/status.js';
import { logLineOfEnded } from './task-log.js';

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

/**
 * A `task_steps` row (once per task, execution, asset, kind, vulnerability and attempt), in one statement; a fix also
 * marks its vulnerability fixing.
 */
export async function beginStep(db: Executor, k: StepKeys, b: StepBegin): Promise<string> {
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
export async function endStep(
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
