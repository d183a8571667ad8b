import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type DatabaseHandle } from '../../db/client.js';
import { uuidv7 } from '../../domain/ids.js';
import { createTestDatabase } from '../../test/database.js';
import { pendingAssets } from './pending-probe.js';

/**
 * The long polls' shared probe reads the pending jobs through the partial index that holds only them, also under a
 * generic plan (the embedded database plans every prepared statement generically, db/client.ts), whatever the
 * length of the job history.
 */
describe('the pending-job probe', () => {
  let handle: DatabaseHandle;
  const accountId = uuidv7();

  beforeAll(async () => {
    handle = await createTestDatabase();
    await handle.db.execute(sql`
      INSERT INTO assets (id, account_id, instance_id, name, hostname, os_family)
      SELECT gen_random_uuid(), ${accountId}, 'i-' || i, 'host-' || i, 'host-' || i, 'linux'
      FROM generate_series(1, 200) i`);
    // A long history of finished jobs beside a few pending ones.
    await handle.db.execute(sql`
      INSERT INTO agent_jobs (id, account_id, asset_id, job_key, kind, payload, status, task_token)
      SELECT gen_random_uuid(), ${accountId}, a.id, 'k-' || a.id || '-' || j, 'fix', '{}'::jsonb,
        CASE WHEN j = 0 AND a.name IN ('host-7', 'host-8') THEN 'pending' ELSE 'succeeded' END, '\\x01'::bytea
      FROM assets a CROSS JOIN generate_series(0, 99) j`);
    await handle.db.execute(sql`ANALYZE agent_jobs`);
  });
  afterAll(async () => {
    await handle.close();
  });

  it('finds the assets of the pending jobs', async () => {
    const rows = await pendingAssets(handle.db);
    const names = await queryRows<{ id: string; name: string }>(
      handle.db,
      sql`SELECT id, name FROM assets WHERE name IN ('host-7', 'host-8')`,
    );
    expect(rows.map((r) => r.assetId).sort()).toEqual(names.map((n) => n.id).sort());
  });

  it('uses the partial index of pending jobs under a generic plan', async () => {
    const { sql: text, params } = pendingAssets(handle.db).toSQL();
    expect(params).toEqual([]);
    await handle.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL plan_cache_mode = force_generic_plan`);
      await tx.execute(sql.raw(`PREPARE pending_probe_plan AS ${text}`));
      try {
        const plan = await queryRows<{ 'QUERY PLAN': string }>(tx, sql`EXPLAIN EXECUTE pending_probe_plan`);
        expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain('agent_jobs_pending_idx');
      } finally {
        await tx.execute(sql`DEALLOCATE pending_probe_plan`);
      }
    });
  });
});
