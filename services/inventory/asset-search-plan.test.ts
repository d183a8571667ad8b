import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../db/client.js';
import { createScratchPostgres, testDriver } from '../../test/database.js';
import { listAssets } from './asset-views.js';

const ACCOUNT = '01a250bc-fe2d-7ff0-aabb-b61e40fcf331';

/**
 * A search's statement is prepared once and run with the terms as parameters, so Postgres may run it on a generic
 * plan. In a fleet where one account holds most assets, that plan must still find the few trigram matches and check
 * the account on them, not AND in the account index's bitmap of the whole fleet (3-6x the time at 100,000 assets).
 */
describe.skipIf(testDriver() !== 'postgres')('asset search on a generic plan', () => {
  let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
  let generic: DatabaseHandle;
  let admin: postgres.Sql;
  beforeAll(async () => {
    scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL ?? '', 'vigil_plan', 2);
    admin = postgres(scratch.url, { max: 1, onnotice: () => undefined });
    // 40,000 assets of one account beside 1,000 of five others, as the bench's fleet is.
    await admin.unsafe(`INSERT INTO assets (id, account_id, instance_id, name, hostname, ips, ip_text, os_family)
      SELECT gen_random_uuid(), '${ACCOUNT}', 'i-' || i, (ARRAY['web', 'db', 'cache'])[i % 3 + 1] || '-' || lpad(i::text, 6, '0'),
        'host-' || i || '.fleet.internal', ARRAY['10.0.' || (i >> 8 & 255) || '.' || (i & 255)],
        '10.0.' || (i >> 8 & 255) || '.' || (i & 255), 'linux'
      FROM generate_series(0, 39999) i`);
    await admin.unsafe(`INSERT INTO assets (id, account_id, instance_id, name, hostname, os_family)
      SELECT gen_random_uuid(), ('01a250bc-fe2d-7ff0-aabb-b61e40fcf33' || (i % 5))::uuid, 'm-' || i, 'member-' || i,
        'member-' || i || '.internal', 'linux'
      FROM generate_series(1, 1000) i`);
    await admin.unsafe('ANALYZE assets');
    const url = new URL(scratch.url);
    url.searchParams.set('plan_cache_mode', 'force_generic_plan');
    generic = await openDatabase({ url: url.toString(), poolMax: 1 });
  });
  afterAll(async () => {
    await generic.close();
    await admin.end({ timeout: 5 });
    await scratch.handle.close();
  });

  const accountIndexScans = async () => {
    await generic.db.execute('SELECT pg_stat_force_next_flush()');
    await admin.unsafe('SELECT pg_stat_clear_snapshot()');
    const [row] = await admin<{ n: string }[]>`SELECT idx_scan AS n FROM pg_stat_user_indexes
      WHERE indexrelname = 'assets_account_idx'`;
    return Number(row?.n ?? 0);
  };

  it('checks the account on the matches instead of scanning the account index', async () => {
    const before = await accountIndexScans();
    for (const search of ['host-424', 'web-004240', '10.0.16.146', 'ewb-004240']) {
      const rows = await listAssets(generic.db, { accountId: ACCOUNT, search }, { limit: 50 });
      expect(rows.length, search).toBeGreaterThan(0);
      expect(new Set(rows.map((r) => r.accountId))).toEqual(new Set([ACCOUNT]));
    }
    expect(await accountIndexScans()).toBe(before);
  });
});
