import type { TUnappliedSetting } from '../../domain/agent-settings.js';
import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { accounts } from './accounts.js';
import { accountIdColumn, createdAt, idColumn, tstz, updatedAt } from './columns.js';
import { SEVERITIES } from '../../domain/findings.js';
import { DIRECTORY_JOIN_KINDS, INVITATION_STATUSES } from '../../domain/multi-account/directory.js';

/** A resource directory; `account_id` is its management account (one directory per management account). */
export const resourceDirectories = pgTable(
  'resource_directories',
  {
    id: idColumn(),
    accountId: accountIdColumn().references(() => accounts.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** "When a new account is created, the account is added to the list of managed accounts by default." */
    autoAddNewAccounts: boolean('auto_add_new_accounts').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('resource_directories_account_uq').on(t.accountId)],
);

/**
 * Membership: the primary key on `account_id` is the rule "an account belongs to at most one directory".
 * `delegated_admin_since` set = a delegated administrator; read on every request, never cached.
 */
export const directoryAccounts = pgTable(
  'directory_accounts',
  {
    accountId: accountIdColumn()
      .primaryKey()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    directoryId: uuid('directory_id')
      .notNull()
      .references(() => resourceDirectories.id, { onDelete: 'cascade' }),
    joinedVia: text('joined_via', { enum: DIRECTORY_JOIN_KINDS }).notNull(),
    delegatedAdminSince: tstz('delegated_admin_since'),
    joinedAt: createdAt(),
  },
  (t) => [index('directory_accounts_directory_idx').on(t.directoryId, t.accountId)],
);

/** An invitation of an existing account; `account_id` is the inviting management account. */
export const directoryInvitations = pgTable(
  'directory_invitations',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    directoryId: uuid('directory_id')
      .notNull()
      .references(() => resourceDirectories.id, { onDelete: 'cascade' }),
    inviteeAccountId: uuid('invitee_account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    status: text('status', { enum: INVITATION_STATUSES }).notNull().default('pending'),
    invitedBy: text('invited_by').notNull(),
    respondedAt: tstz('responded_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('directory_invitations_pending_uq')
      .on(t.directoryId, t.inviteeAccountId)
      .where(sql`status = 'pending'`),
    index('directory_invitations_invitee_idx').on(t.inviteeAccountId, t.id),
    index('directory_invitations_account_idx').on(t.accountId, t.id),
  ],
);

/** The Multi-account Control page's member list; `account_id` is the managed member account. */
export const managedMembers = pgTable(
  'managed_members',
  {
    accountId: accountIdColumn()
      .primaryKey()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    directoryId: uuid('directory_id')
      .notNull()
      .references(() => resourceDirectories.id, { onDelete: 'cascade' }),
    addedBy: text('added_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('managed_members_directory_idx').on(t.directoryId, t.accountId)],
);

/** Every save of a member's protection settings; `account_id` is the member. */
export const memberSettingsRevisions = pgTable(
  'member_settings_revisions',
  {
    id: idColumn(),
    accountId: accountIdColumn().references(() => accounts.id, { onDelete: 'cascade' }),
    revision: integer('revision').notNull(),
    settings: jsonb('settings').notNull(),
    actor: text('actor').notNull(),
    actorAccountId: uuid('actor_account_id').notNull(),
    /** Set once the rollout workflow of this revision has been started (repairs a crash in between). */
    rolloutStartedAt: tstz('rollout_started_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('member_settings_revisions_uq').on(t.accountId, t.revision)],
);

/** The settings revision each of a member's agents has confirmed; `account_id` is the member. */
export const memberSettingsAgents = pgTable(
  'member_settings_agents',
  {
    accountId: accountIdColumn(),
    agentId: uuid('agent_id').notNull(),
    assetId: uuid('asset_id').notNull(),
    appliedRevision: integer('applied_revision').notNull().default(0),
    lastAttemptRevision: integer('last_attempt_revision'),
    lastError: text('last_error'),
    /** What the agent reported it could not apply of the revision it runs (issue 16; migration 0026). */
    unapplied: jsonb('unapplied').$type<TUnappliedSetting[]>().notNull().default([]),
    appliedAt: tstz('applied_at'),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.agentId] })],
);

/**
 * How many findings an account has, per findings table (`kind` = `alerts`, `vulnerabilities` or `baseline_risks`),
 * vulnerability type ('' for the others), severity and status: the risk view and the overview read these few rows
 * instead of counting findings. Maintained only by the statement triggers of migration 0012 on the three findings
 * tables (every insert, upsert, update, delete, cascade and truncate, whoever issues it); never written by the
 * application. Which statuses count as open is decided where they are read (`services/multi-account/risk-views.ts`).
 */
export const riskCounts = pgTable(
  'risk_counts',
  {
    accountId: accountIdColumn(),
    kind: text('kind').notNull(),
    type: text('type').notNull().default(''),
    severity: text('severity', { enum: SEVERITIES }).notNull(),
    status: text('status').notNull(),
    n: integer('n').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.kind, t.type, t.severity, t.status] })],
);
