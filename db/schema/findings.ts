import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  boolean,
  foreignKey,
  index,
  integer,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { accountIdColumn, createdAt, idColumn, tstz, updatedAt } from './columns.js';
import { assets } from './inventory.js';
import {
  ALERT_STATUSES,
  SEVERITIES,
  VULNERABILITY_SOURCES,
  VULNERABILITY_STATUSES,
  VULNERABILITY_TYPES,
} from '../../domain/findings.js';

/**
 * A finding's asset is one of its account's: one foreign key on the pair (migration 0031), whose probe is also the
 * scanner ingest's check of each row's asset. Deleting the asset deletes the finding.
 */
const accountAssetKey = (name: string, t: { accountId: AnyPgColumn; assetId: AnyPgColumn }) =>
  foreignKey({
    name,
    columns: [t.accountId, t.assetId],
    foreignColumns: [assets.accountId, assets.id],
  }).onDelete('cascade');

/**
 * Filled to 60 % per page (migration 0029; Drizzle has no table storage parameters), so that a scan re-reporting
 * its vulnerabilities updates them in place (HOT) instead of writing an entry in each of the indexes below.
 */
export const vulnerabilities = pgTable(
  'vulnerabilities',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    /** One of the account's own assets (the foreign key names the pair, migration 0031). */
    assetId: uuid('asset_id').notNull(),
    type: text('type', { enum: VULNERABILITY_TYPES }).notNull(),
    /** Scanner's identifier of the vulnerability (e.g. `USN-6859-1`, `KB5034441`); unique per asset and type. */
    name: text('name').notNull(),
    title: text('title').notNull(),
    cveIds: text('cve_ids')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    severity: text('severity', { enum: SEVERITIES }).notNull(),
    fixable: boolean('fixable').notNull().default(false),
    packageName: text('package_name'),
    installedVersion: text('installed_version'),
    fixedVersion: text('fixed_version'),
    kbId: text('kb_id'),
    cmsComponent: text('cms_component'),
    /** The advisory that announces the fix (dnf updateinfo id, Debian DSA/DLA), when the metadata names one. */
    advisory: text('advisory'),
    /** Who reported it: a scanner through the API, or the asset's agent from its package manager (migration 0019). */
    source: text('source', { enum: VULNERABILITY_SOURCES }).notNull().default('api'),
    /** Closed because a scan no longer saw it and no Vigil task had fixed it. */
    fixedOutsideVigil: boolean('fixed_outside_vigil').notNull().default(false),
    status: text('status', { enum: VULNERABILITY_STATUSES }).notNull().default('open'),
    firstSeenAt: tstz('first_seen_at').notNull().defaultNow(),
    lastSeenAt: tstz('last_seen_at').notNull().defaultNow(),
    latestScanAt: tstz('latest_scan_at').notNull().defaultNow(),
    fixedAt: tstz('fixed_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    accountAssetKey('vulnerabilities_account_asset_fk', t),
    uniqueIndex('vulnerabilities_natural_uq').on(t.accountId, t.assetId, t.type, t.name),
    index('vulnerabilities_account_idx').on(t.accountId, t.id),
    // List pages: each filter's columns, then the page order (migration 0027).
    index('vulnerabilities_severity_page_idx').on(t.accountId, t.severity, t.id),
    index('vulnerabilities_status_page_idx').on(t.accountId, t.status, t.id),
    index('vulnerabilities_status_severity_page_idx').on(t.accountId, t.status, t.severity, t.id),
    index('vulnerabilities_asset_page_idx').on(t.accountId, t.assetId, t.id),
  ],
);

export const alerts = pgTable(
  'alerts',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    assetId: uuid('asset_id').references(() => assets.id, { onDelete: 'set null' }),
    externalId: text('external_id').notNull(),
    name: text('name').notNull(),
    type: text('type').notNull().default('generic'),
    severity: text('severity', { enum: SEVERITIES }).notNull(),
    status: text('status', { enum: ALERT_STATUSES }).notNull().default('unhandled'),
    occurredAt: tstz('occurred_at').notNull(),
    handledAt: tstz('handled_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('alerts_external_uq').on(t.accountId, t.externalId),
    index('alerts_account_idx').on(t.accountId, t.id),
    index('alerts_severity_page_idx').on(t.accountId, t.severity, t.id),
    index('alerts_status_page_idx').on(t.accountId, t.status, t.id),
    index('alerts_status_severity_page_idx').on(t.accountId, t.status, t.severity, t.id),
    index('alerts_asset_page_idx').on(t.accountId, t.assetId, t.id),
  ],
);

export const baselineRisks = pgTable(
  'baseline_risks',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    /** One of the account's own assets (the foreign key names the pair, migration 0031). */
    assetId: uuid('asset_id').notNull(),
    checkName: text('check_name').notNull(),
    category: text('category').notNull().default('general'),
    severity: text('severity', { enum: SEVERITIES }).notNull(),
    status: text('status', { enum: ALERT_STATUSES }).notNull().default('unhandled'),
    /** The rule's title, what the check saw, and how to fix it (OpenSCAP checks, migration 0026). */
    title: text('title').notNull().default(''),
    evidence: text('evidence').notNull().default(''),
    remediation: text('remediation').notNull().default(''),
    /** `api` (a scanner's POST) or `agent` (the host's OpenSCAP run); a check closes only its own. */
    source: text('source', { enum: VULNERABILITY_SOURCES }).notNull().default('api'),
    policyName: text('policy_name'),
    /** When a later check passed the rule. */
    resolvedAt: tstz('resolved_at'),
    firstSeenAt: tstz('first_seen_at').notNull().defaultNow(),
    lastSeenAt: tstz('last_seen_at').notNull().defaultNow(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    accountAssetKey('baseline_risks_account_asset_fk', t),
    uniqueIndex('baseline_risks_natural_uq').on(t.accountId, t.assetId, t.checkName),
    index('baseline_risks_account_idx').on(t.accountId, t.id),
    index('baseline_risks_severity_page_idx').on(t.accountId, t.severity, t.id),
    index('baseline_risks_status_page_idx').on(t.accountId, t.status, t.id),
    index('baseline_risks_status_severity_page_idx').on(t.accountId, t.status, t.severity, t.id),
  ],
);

/** The latest baseline check of each (asset, policy): what ran, or why the host could not check (migration 0026). */
export const baselineChecks = pgTable(
  'baseline_checks',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    assetId: uuid('asset_id')
      .notNull()
      .references(() => assets.id, { onDelete: 'cascade' }),
    policyName: text('policy_name').notNull(),
    status: text('status', { enum: ['checked', 'unsupported'] }).notNull(),
    reason: text('reason'),
    content: text('content'),
    profile: text('profile'),
    passed: integer('passed').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    /** Rules neither passed nor failed (not applicable, not checked, error). */
    other: integer('other').notNull().default(0),
    jobId: uuid('job_id'),
    checkedAt: tstz('checked_at').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('baseline_checks_uq').on(t.accountId, t.assetId, t.policyName)],
);

export const attackEvents = pgTable(
  'attack_events',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    assetId: uuid('asset_id').references(() => assets.id, { onDelete: 'set null' }),
    externalId: text('external_id').notNull(),
    attackType: text('attack_type').notNull(),
    sourceIp: text('source_ip'),
    severity: text('severity', { enum: SEVERITIES }).notNull(),
    blocked: boolean('blocked').notNull().default(false),
    occurredAt: tstz('occurred_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('attack_events_external_uq').on(t.accountId, t.externalId),
    index('attack_events_account_idx').on(t.accountId, t.id),
    index('attack_events_asset_page_idx').on(t.accountId, t.assetId, t.id),
  ],
);
