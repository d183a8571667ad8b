import { sql } from 'drizzle-orm';
import {
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import {
  AGENT_EXECUTORS,
  AGENT_JOB_KINDS,
  AGENT_JOB_STATUSES,
  type TAgentCapabilities,
} from '../../domain/agent-jobs.js';
import { accountIdColumn, createdAt, idColumn, tstz, updatedAt } from './columns.js';
import { assets } from './inventory.js';

/** Temporal task tokens are opaque bytes. */
const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)),
  toDriver: (v) => v,
});

/** One-time or multi-use secrets an operator hands to hosts so that their agents can register. */
export const agentEnrollmentTokens = pgTable(
  'agent_enrollment_tokens',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    /** SHA-256 of the token; the token itself is shown once. */
    tokenHash: text('token_hash').notNull(),
    /** When set, an agent registering with this token is bound to this asset and no other. */
    assetId: uuid('asset_id').references(() => assets.id, { onDelete: 'cascade' }),
    description: text('description').notNull().default(''),
    expiresAt: tstz('expires_at').notNull(),
    /** Null: unlimited until expiry. */
    maxUses: integer('max_uses'),
    uses: integer('uses').notNull().default(0),
    createdBy: text('created_by').notNull(),
    lastUsedAt: tstz('last_used_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('agent_enrollment_tokens_hash_uq').on(t.tokenHash),
    index('agent_enrollment_tokens_account_idx').on(t.accountId, t.id),
  ],
);

/** One agent per asset; registering again for the asset replaces its token. */
export const agents = pgTable(
  'agents',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    assetId: uuid('asset_id')
      .notNull()
      .references(() => assets.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    enrollmentTokenId: uuid('enrollment_token_id').references(() => agentEnrollmentTokens.id, {
      onDelete: 'set null',
    }),
    version: text('version').notNull().default(''),
    hostname: text('hostname').notNull(),
    executor: text('executor', { enum: AGENT_EXECUTORS }).notNull(),
    /** What the agent reported it can fix and scan; empty until it registers with a version that reports it. */
    capabilities: jsonb('capabilities').$type<Partial<TAgentCapabilities>>().notNull().default({}),
    lastHeartbeatAt: tstz('last_heartbeat_at'),
    registeredAt: tstz('registered_at').notNull().defaultNow(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('agents_asset_uq').on(t.assetId),
    uniqueIndex('agents_token_hash_uq').on(t.tokenHash),
    index('agents_account_idx').on(t.accountId, t.id),
  ],
);

/**
 * Host work requested by an activity that completes asynchronously. One row per (account, job key) however often
 * the activity is retried; the row keeps the latest attempt's task token, the full output and the outcome.
 */
export const agentJobs = pgTable(
  'agent_jobs',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    assetId: uuid('asset_id')
      .notNull()
      .references(() => assets.id, { onDelete: 'cascade' }),
    jobKey: text('job_key').notNull(),
    kind: text('kind', { enum: AGENT_JOB_KINDS }).notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    group: text('group'),
    summary: text('summary'),
    status: text('status', { enum: AGENT_JOB_STATUSES }).notNull().default('pending'),
    /** Task token of the activity attempt waiting for this job; null when that attempt is known to be gone. */
    taskToken: bytea('task_token'),
    workflowId: text('workflow_id'),
    activityId: text('activity_id'),
    /** Activity attempt that last attached to the job. */
    attempt: integer('attempt').notNull().default(1),
    cancelRequested: boolean('cancel_requested').notNull().default(false),
    /**
     * Whether a claim asks Temporal first if the waiting activity was cancelled. False for callers that write their
     * cancellation into the job rows as soon as it is requested (`cancelAgentJobs`), which saves a heartbeat per job.
     */
    checkCancelOnClaim: boolean('check_cancel_on_claim').notNull().default(true),
    exitCode: integer('exit_code'),
    output: text('output').notNull().default(''),
    /** Length of `output` in UTF-16 code units (what agents count when they send chunks with offsets). */
    outputLength: integer('output_length').notNull().default(0),
    details: jsonb('details')
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    progress: jsonb('progress').$type<Record<string, unknown>>(),
    agentId: uuid('agent_id'),
    claimedAt: tstz('claimed_at'),
    startedAt: tstz('started_at'),
    heartbeatAt: tstz('heartbeat_at'),
    finishedAt: tstz('finished_at'),
    /** When the outcome reached Temporal (complete / reportCancellation); null while still to deliver. */
    deliveredAt: tstz('delivered_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('agent_jobs_key_uq').on(t.accountId, t.jobKey),
    index('agent_jobs_asset_status_idx').on(t.assetId, t.status, t.id),
    // The long polls' shared probe reads every pending job's asset: a small index however long the job history.
    index('agent_jobs_pending_idx')
      .on(t.assetId)
      .where(sql`${t.status} = 'pending'`),
    index('agent_jobs_group_idx').on(t.accountId, t.group),
  ],
);
