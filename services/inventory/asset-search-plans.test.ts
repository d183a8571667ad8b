import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  plannedOnce,
  queryRows,
  SESSION_SETTINGS,
  type DatabaseHandle,
  type Executor,
} from '../../db/client.js';
import { uuidv7 } from '../../domain/ids.js';
import { createTestDatabase, statementsDuring } from '../../test/database.js';
import { listAssets } from './asset-views.js';

/**
 * Asset searches run where each prepared statement is planned once (db/client.ts `plannedOnce`): on Postgres a pool
 * of their own whose sessions plan generically, while every other statement keeps its value-aware plans; on PGlite,
 * which plans every statement once, the database itself.
 */
describe('where asset searches are planned', () => {
  let handle: DatabaseHandle;
  const accountId = uuidv7();
  const setting = async (db: Executor, name: string) =>
    (await queryRows<Record<string, string>>(db, sql.raw(`SHOW ${name}`)))[0]?.[name];

  beforeAll(async () => {
    handle = await createTestDatabase();
    await handle.db.execute(sql`
      INSERT INTO assets (id, account_id, instance_id, name, hostname, ip_text, os_family)
      SELECT gen_random_uuid(), ${accountId}, 'i-' || i, 'web-' || lpad(i::text, 4, '0'), 'host-' || i,
        '10.0.0.' || i, 'linux'
      FROM generate_series(1, 200) i`);
    await handle.db.execute(sql`ANALYZE assets`);
  });
  afterAll(async () => {
    await handle.close();
  });

  it('plans each statement run through plannedOnce once, with the sessions’ other settings', async () => {
    expect(await setting(plannedOnce(handle.db), 'plan_cache_mode')).toBe('force_generic_plan');
    for (const [name, value] of Object.entries(SESSION_SETTINGS))
      expect(Number(await setting(plannedOnce(handle.db), name))).toBe(Number(value));
  });

  it('leaves every other statement on Postgres its value-aware plans', async () => {
    expect(await setting(handle.db, 'plan_cache_mode')).toBe(
      handle.driver === 'postgres' ? 'auto' : 'force_generic_plan',
    );
  });

  it('runs inside a transaction on the transaction itself', async () => {
    await handle.db.transaction(async (tx) => {
      expect(plannedOnce(tx)).toBe(tx);
    });
  });

  it('sends the search statement to the planned-once sessions and answers the same', async () => {
    const search = () => listAssets(handle.db, { accountId, search: 'web-012' }, { limit: 50 });
    await search(); // takes the search's trigram sample, on the database itself
    const twin = plannedOnce(handle.db);
    // Counted on the planned-once connections alone: a handle whose database is the twin has the twin as its own.
    const twinOnly = { ...handle, db: twin as DatabaseHandle['db'] };
    let rows: Awaited<ReturnType<typeof search>> = [];
    let sent = 0;
    const sentToTwin = await statementsDuring(twinOnly, async () => {
      sent = await statementsDuring(handle, async () => {
        rows = await search();
      });
    });
    expect(sent).toBe(1);
    if (handle.driver === 'postgres') expect(twin).not.toBe(handle.db);
    else expect(twin).toBe(handle.db);
    expect(sentToTwin).toBe(1);
    expect(rows.map((r) => r.name).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `web-012${i}`));
  });
});
