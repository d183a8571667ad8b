import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDriver } from '../test/database.js';
import { openPglite } from './client.js';
import type { VigilPglite } from './pglite-client.js';

describe.skipIf(testDriver() === 'postgres')('the embedded database planner settings', () => {
  let db: VigilPglite;
  beforeAll(async () => {
    db = await openPglite();
    // A small keyed table as asset_groups is in a fleet: a few pages, looked up by key once per listed asset.
    await db.exec(`CREATE TABLE small_keyed (id int PRIMARY KEY, name text NOT NULL);
      INSERT INTO small_keyed SELECT i, 'group-' || i FROM generate_series(1, 300) i;
      ANALYZE small_keyed;`);
  });
  afterAll(async () => {
    await db.close();
  });

  const plan = async (sql: string) =>
    (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');

  it('prices a random page as a sequential one (all pages are in memory)', async () => {
    expect(
      (await db.query<{ random_page_cost: string }>('SHOW random_page_cost')).rows[0]?.random_page_cost,
    ).toBe('1.1');
  });

  it('looks a key up in a table of a few pages through its index, not by reading the table whole', async () => {
    expect(await plan('SELECT name FROM small_keyed WHERE id = 42')).toContain(
      'Index Scan using small_keyed_pkey',
    );
    // The server default would read and filter all 300 rows for each look-up (as the asset pages' groups did before
    // migration 0030 put them in the asset row).
    await db.exec('SET random_page_cost = 4');
    try {
      expect(await plan('SELECT name FROM small_keyed WHERE id = 42')).toContain('Seq Scan on small_keyed');
    } finally {
      await db.exec('RESET random_page_cost');
    }
    expect(await plan('SELECT name FROM small_keyed WHERE id = 42')).toContain(
      'Index Scan using small_keyed_pkey',
    );
  });

  it('plans a prepared statement once, generically, instead of on every execution', async () => {
    await db.exec('PREPARE keyed_name(int) AS SELECT name FROM small_keyed WHERE id = $1');
    try {
      for (const id of [1, 2, 3, 4, 5, 6, 7]) await db.query(`EXECUTE keyed_name(${id})`);
      const [plans] = (
        await db.query<{ generic_plans: number; custom_plans: number }>(
          "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'keyed_name'",
        )
      ).rows;
      // Postgres' default (auto) would plan the first five executions with their values.
      expect(plans).toEqual({ generic_plans: 7, custom_plans: 0 });
    } finally {
      await db.exec('DEALLOCATE keyed_name');
    }
  });
});
