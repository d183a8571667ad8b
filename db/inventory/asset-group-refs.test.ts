import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchPostgres, createTestDatabase, testDriver } from '../../test/database.js';
import type { DatabaseHandle } from '../client.js';
import { uuidv7 } from '../../domain/ids.js';
import { sql } from 'drizzle-orm';

/**
 * `assets.group_refs` (migration 0030) is what every asset read shows as the asset's groups; its triggers keep it
 * equal to the memberships on every write path, statement by statement.
 */
describe('an asset row carries its groups, kept equal to its memberships', () => {
  let handle: DatabaseHandle;
  const accountId = uuidv7();
  const assetIds = Array.from({ length: 4 }, () => uuidv7());
  const groupIds = new Map<string, string>();

  const run = (statement: string) => handle.db.execute(sql.raw(statement));
  const rows = async <T>(statement: string) => {
    const result = (await handle.db.execute(sql.raw(statement))) as unknown as T[] | { rows: T[] };
    return Array.isArray(result) ? result : result.rows;
  };
  /** Each asset's stored groups beside the groups its memberships name, both as `{id, name}` by name. */
  const storedAndJoined = async () => {
    const stored = await rows<{ id: string; refs: { id: string; name: string }[] }>(
      `SELECT id, group_refs AS refs FROM assets WHERE account_id = '${accountId}' ORDER BY id`,
    );
    const joined = await rows<{ asset_id: string; id: string; name: string }>(
      `SELECT m.asset_id, g.id, g.name FROM asset_group_members m JOIN asset_groups g ON g.id = m.group_id
        WHERE m.account_id = '${accountId}' ORDER BY m.asset_id, g.name`,
    );
    return {
      stored: Object.fromEntries(stored.map((r) => [r.id, r.refs])),
      joined: Object.fromEntries(
        stored.map((r) => [
          r.id,
          joined.filter((j) => j.asset_id === r.id).map((j) => ({ id: j.id, name: j.name })),
        ]),
      ),
    };
  };
  const namesOf = async () => {
    const { stored, joined } = await storedAndJoined();
    expect(stored).toEqual(joined);
    return assetIds.map((id) => (stored[id] ?? []).map((g) => g.name));
  };
  const member = (asset: number, group: string) =>
    `('${accountId}', '${groupIds.get(group) ?? ''}', '${assetIds[asset] ?? ''}')`;

  beforeAll(async () => {
    handle = await createTestDatabase();
    await run(`INSERT INTO assets (id, account_id, instance_id, name, hostname, os_family)
      SELECT id, '${accountId}', 'i-' || n, 'host-' || n, 'host-' || n, 'linux'
      FROM unnest(ARRAY['${assetIds.join("','")}']::uuid[]) WITH ORDINALITY AS t(id, n)`);
    for (const name of ['web', 'db', 'Alpha', 'zeta']) {
      const id = uuidv7();
      groupIds.set(name, id);
      await run(
        `INSERT INTO asset_groups (id, account_id, name) VALUES ('${id}', '${accountId}', '${name}')`,
      );
    }
  });
  afterAll(async () => {
    await handle.close();
  });

  it('starts empty and follows a statement that adds memberships to several assets, by name', async () => {
    expect(await namesOf()).toEqual([[], [], [], []]);
    await run(`INSERT INTO asset_group_members (account_id, group_id, asset_id) VALUES
      ${[member(0, 'web'), member(0, 'db'), member(0, 'Alpha'), member(1, 'web'), member(2, 'zeta')].join(', ')}`);
    expect(await namesOf()).toEqual([['Alpha', 'db', 'web'], ['web'], ['zeta'], []]);
  });

  it('follows deleted memberships, a moved membership, a renamed group and a deleted group', async () => {
    await run(
      `DELETE FROM asset_group_members WHERE asset_id = '${assetIds[0] ?? ''}' AND group_id = '${groupIds.get('db') ?? ''}'`,
    );
    expect(await namesOf()).toEqual([['Alpha', 'web'], ['web'], ['zeta'], []]);
    // A membership moved from one asset to another: both assets change.
    await run(
      `UPDATE asset_group_members SET asset_id = '${assetIds[3] ?? ''}' WHERE asset_id = '${assetIds[2] ?? ''}'`,
    );
    expect(await namesOf()).toEqual([['Alpha', 'web'], ['web'], [], ['zeta']]);
    // Renamed: the new name, in its new place in the order; a description change leaves the rows as they were.
    await run(`UPDATE asset_groups SET name = 'Aa' WHERE id = '${groupIds.get('web') ?? ''}'`);
    await run(`UPDATE asset_groups SET description = 'racks' WHERE id = '${groupIds.get('Alpha') ?? ''}'`);
    expect(await namesOf()).toEqual([['Aa', 'Alpha'], ['Aa'], [], ['zeta']]);
    // A deleted group's memberships go with it (the foreign key's cascade), and so does it from every asset.
    await run(`DELETE FROM asset_groups WHERE id = '${groupIds.get('web') ?? ''}'`);
    expect(await namesOf()).toEqual([['Alpha'], [], [], ['zeta']]);
  });

  it('lets an asset with memberships be deleted', async () => {
    await run(`DELETE FROM assets WHERE id = '${assetIds[3] ?? ''}'`);
    const { stored, joined } = await storedAndJoined();
    expect(stored).toEqual(joined);
    expect(Object.keys(stored)).toHaveLength(3);
  });
});

describe.skipIf(testDriver() !== 'postgres')('an asset’s groups under concurrent membership changes', () => {
  let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
  let a: postgres.Sql;
  let b: postgres.Sql;
  beforeAll(async () => {
    const adminUrl = process.env.TEST_DATABASE_URL ?? '';
    scratch = await createScratchPostgres(adminUrl, 'vigil_refs', 2);
    a = postgres(scratch.url, { max: 2, onnotice: () => undefined });
    b = postgres(scratch.url, { max: 1, onnotice: () => undefined });
  });
  afterAll(async () => {
    await a.end({ timeout: 5 });
    await b.end({ timeout: 5 });
    await scratch.handle.close();
  });

  it('keeps both of two transactions’ groups when they add one each to the same asset', async () => {
    const account = uuidv7();
    const asset = uuidv7();
    const [g1, g2] = [uuidv7(), uuidv7()];
    await a`INSERT INTO assets (id, account_id, instance_id, name, hostname, os_family)
      VALUES (${asset}, ${account}, 'i-1', 'host-1', 'host-1', 'linux')`;
    await a`INSERT INTO asset_groups (id, account_id, name) VALUES (${g1}, ${account}, 'one'), (${g2}, ${account}, 'two')`;
    const txA = await a.reserve();
    const txB = await b.reserve();
    try {
      await txA`BEGIN`;
      await txA`INSERT INTO asset_group_members (account_id, group_id, asset_id) VALUES (${account}, ${g1}, ${asset})`;
      await txB`BEGIN`;
      // B's trigger waits for A's lock on the asset; it must then read A's membership, committed meanwhile.
      const second =
        txB`INSERT INTO asset_group_members (account_id, group_id, asset_id) VALUES (${account}, ${g2}, ${asset})`.execute();
      await waitUntilBlocked(a);
      await txA`COMMIT`;
      await second;
      await txB`COMMIT`;
    } finally {
      txA.release();
      txB.release();
    }
    const [row] = await a<
      { refs: { name: string }[] }[]
    >`SELECT group_refs AS refs FROM assets WHERE id = ${asset}`;
    expect(row?.refs.map((g) => g.name)).toEqual(['one', 'two']);
  });
});

/** Until a backend of this database waits on a lock. */
async function waitUntilBlocked(sqlClient: postgres.Sql): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [row] = await sqlClient<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`;
    if ((row?.n ?? 0) > 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the second transaction never waited on the first');
}
