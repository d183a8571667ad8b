import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { accountIdColumn, createdAt, idColumn, tstz, updatedAt } from './columns.js';

export const assets = pgTable(
  'assets',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    /** The caller's own identifier of the host (cloud instance id); the bulk upsert's natural key. */
    instanceId: text('instance_id').notNull(),
    name: text('name').notNull(),
    hostname: text('hostname').notNull(),
    ips: text('ips')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** `ips` joined by spaces, kept for trigram search. */
    ipText: text('ip_text').notNull().default(''),
    osFamily: text('os_family', { enum: ['linux', 'windows'] }).notNull(),
    osVersion: text('os_version').notNull().default(''),
    tags: text('tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    agentStatus: text('agent_status', { enum: ['online', 'offline', 'none'] })
      .notNull()
      .default('none'),
    lastSeenAt: tstz('last_seen_at'),
    /**
     * The asset's groups as its reads show them, `{id, name}` ordered by name (`[]` for none). Written only by the
     * triggers of migration 0030, from `asset_group_members` and `asset_groups`, in the statement that changes them.
     */
    groupRefs: jsonb('group_refs')
      .$type<{ id: string; name: string }[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('assets_instance_uq').on(t.accountId, t.instanceId),
    // Unique: the target of the findings' (account_id, asset_id) foreign keys (migration 0031).
    uniqueIndex('assets_account_idx').on(t.accountId, t.id),
    index('assets_os_page_idx').on(t.accountId, t.osFamily, t.id),
    index('assets_agent_status_page_idx').on(t.accountId, t.agentStatus, t.id),
    // Maintained on every write (fastupdate off, migration 0028): a search never reads an unmerged pending list.
    index('assets_name_trgm').using('gin', t.name.op('gin_trgm_ops')).with({ fastupdate: false }),
    index('assets_hostname_trgm').using('gin', t.hostname.op('gin_trgm_ops')).with({ fastupdate: false }),
    index('assets_ip_trgm').using('gin', t.ipText.op('gin_trgm_ops')).with({ fastupdate: false }),
  ],
);

export const assetGroups = pgTable(
  'asset_groups',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('asset_groups_name_uq').on(t.accountId, t.name)],
);

export const assetGroupMembers = pgTable(
  'asset_group_members',
  {
    accountId: accountIdColumn(),
    groupId: uuid('group_id')
      .notNull()
      .references(() => assetGroups.id, { onDelete: 'cascade' }),
    assetId: uuid('asset_id')
      .notNull()
      .references(() => assets.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.groupId, t.assetId] }),
    index('asset_group_members_asset_idx').on(t.assetId),
  ],
);
