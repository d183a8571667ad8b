import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type DatabaseHandle } from '../../db/client.js';
import { uuidv7 } from '../../domain/ids.js';
import { FUZZY_SIMILARITY, likePattern } from '../../domain/inventory.js';
import { patternTrigrams } from '../../domain/search-trigrams.js';
import { createTestDatabase } from '../../test/database.js';
import { assetSearchSample, SAMPLE_TTL_MS } from './asset-search-sample.js';
import { listAssets } from './asset-views.js';

/**
 * An asset search asks each trigram index for the substring of the search it answers most cheaply (estimated from a
 * sample of the table) and tests the whole search on the candidates: it returns exactly the assets whose name,
 * hostname or IP contains the search, whatever substring was asked for.
 */
describe('asset search through a selective substring', () => {
  let handle: DatabaseHandle;
  const accountId = uuidv7();
  const otherAccount = uuidv7();

  beforeAll(async () => {
    handle = await createTestDatabase();
    // Every hostname holds "hos", "ost", "st ", "fle", …: the trigrams the search should not ask the index for.
    // Decoys hold a substring the index may be asked for without holding the search ("east-424", IP 10.1.16.146).
    await handle.db.execute(sql`
      INSERT INTO assets (id, account_id, instance_id, name, hostname, ips, ip_text, os_family)
      SELECT gen_random_uuid(), CASE WHEN i % 10 = 9 THEN ${otherAccount}::uuid ELSE ${accountId}::uuid END,
        'i-' || i, (ARRAY['web', 'db', 'cache'])[i % 3 + 1] || '-' || lpad(i::text, 5, '0'),
        CASE WHEN i % 97 = 5 THEN 'east-' || i ELSE 'host-' || i END || '.fleet.internal',
        ARRAY['10.' || (i / 65536) || '.' || ((i / 256) % 256) || '.' || (i % 256)],
        '10.' || (i / 65536) || '.' || ((i / 256) % 256) || '.' || (i % 256), 'linux'
      FROM generate_series(0, 5999) i`);
    await handle.db.execute(sql`
      INSERT INTO assets (id, account_id, instance_id, name, hostname, ip_text, os_family) VALUES
        (gen_random_uuid(), ${accountId}, 'i-x1', 'decoy-1', 'east-4240.fleet.internal', '10.1.16.146', 'linux'),
        (gen_random_uuid(), ${accountId}, 'i-x2', 'decoy-2', 'beast-424.fleet.internal', '10.0.16.1460', 'linux'),
        (gen_random_uuid(), ${accountId}, 'i-x3', 'decoy-3', 'HOST-4241.FLEET.INTERNAL', '10.0.4.1', 'linux')`);
    await handle.db.execute(sql`ANALYZE assets`);
  });
  afterAll(async () => {
    await handle.close();
  });

  /** The account's assets containing `search` in name, hostname or IP, by a plain scan of the table. */
  const containing = async (search: string) =>
    (
      await queryRows<{ id: string }>(
        handle.db,
        sql`SELECT id FROM assets WHERE account_id = ${accountId}
          AND (name ILIKE ${likePattern(search)} OR hostname ILIKE ${likePattern(search)}
            OR ip_text ILIKE ${likePattern(search)})`,
      )
    )
      .map((r) => r.id)
      .sort();

  const found = async (search: string) =>
    (await listAssets(handle.db, { accountId, search }, { limit: 10_000 })).map((a) => a.id).sort();

  it('asks the hostname and IP indexes for less than the whole search, leaving out fleet-wide trigrams', async () => {
    const sample = await assetSearchSample(handle.db);
    const host = sample.hostname.pick('host-424');
    expect(host).not.toBe('host-424');
    expect(patternTrigrams(host)).not.toContain('hos');
    expect(sample.ip.pick('10.0.16.146')).not.toBe('10.0.16.146');
  });

  it('returns exactly the assets that contain the search, not those holding only the substring asked for', async () => {
    for (const search of [
      'host-424',
      'HOST-424',
      'host-4241',
      '10.0.16.146',
      '10.0.16.14',
      'web-0424',
      'st-42',
    ]) {
      const expected = await containing(search);
      expect(expected.length, search).toBeGreaterThan(0);
      expect(await found(search), search).toEqual(expected);
    }
  });

  it('finds nothing where nothing contains the search, and still offers the fuzzy class for a typo', async () => {
    expect(await found('host-4242.other')).toEqual([]);
    expect(await containing('ewb-00424')).toEqual([]);
    const fuzzy = await listAssets(handle.db, { accountId, search: 'ewb-00424' }, { limit: 50 });
    expect(fuzzy.length).toBeGreaterThan(0);
    expect(fuzzy.every((a) => (a.rank ?? 0) < 2000)).toBe(true);
  });

  it("starts every session with the fuzzy search's threshold as the bar of the trigram index's `%`", async () => {
    const [row] = await queryRows<{ threshold: number }>(handle.db, sql`SELECT show_limit() AS threshold`);
    expect(Number(row?.threshold)).toBeCloseTo(FUZZY_SIMILARITY, 5);
  });

  it('takes the sample again once it is older than its time to live', async () => {
    const db = await createTestDatabase();
    try {
      const now = Date.now();
      const empty = await assetSearchSample(db.db, now);
      expect(empty.hostname.size).toBe(0);
      expect(empty.hostname.pick('host-424')).toBe('host-424');
      await db.db.execute(sql`
        INSERT INTO assets (id, account_id, instance_id, name, hostname, os_family)
        SELECT gen_random_uuid(), ${accountId}, 'i-' || i, 'n-' || i, 'host-' || i, 'linux'
        FROM generate_series(1, 50) i`);
      expect(await assetSearchSample(db.db, now + SAMPLE_TTL_MS - 1)).toBe(empty);
      const fresh = await assetSearchSample(db.db, now + SAMPLE_TTL_MS);
      expect(fresh.hostname.size).toBe(50);
    } finally {
      await db.close();
    }
  });
});
