import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type DatabaseHandle } from '../client.js';
import { ZAssetInputSchema } from '../../domain/inventory.js';
import { uuidv7 } from '../../domain/ids.js';
import { createTestDatabase } from '../../test/database.js';
import { createAccount } from '../../services/accounts/create-account.js';
import { upsertAssets } from '../../services/inventory/upsert-assets.js';
import { databaseErrorOf } from '../errors.js';
import {
  ASSET_OF_ACCOUNT_KEYS,
  insertAttacks,
  textArrayLiteral,
  upsertAlerts,
  upsertBaselineRisks,
  upsertVulnerabilities,
  type VulnerabilityRow,
} from './finding-upserts.js';

const vulnerabilityRow = (assetId: string, name: string, seen: Date): VulnerabilityRow => ({
  id: uuidv7(),
  assetId,
  type: 'linux',
  name,
  title: 't',
  cveIds: [],
  severity: 'low',
  fixable: false,
  packageName: null,
  installedVersion: null,
  fixedVersion: null,
  kbId: null,
  cmsComponent: null,
  status: 'open',
  seen,
});

/** A new account with one asset, so each test reads only its own rows. */
async function accountWithAsset(name: string) {
  const accountId = (await createAccount(database.db, { name })).account.id;
  const [assetId = ''] = (
    await upsertAssets(database.db, accountId, [
      ZAssetInputSchema.parse({ name: 'h', hostname: 'h', osFamily: 'linux' }),
    ])
  ).ids;
  return { accountId, assetId };
}

let database: DatabaseHandle;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

describe('the array literals an ingest statement travels in', () => {
  it('reads every text array back as it was: bare elements, and quoted ones where they must be', async () => {
    const cases = [
      ['CVE-2024-6387', 'CVE-2024-20002'],
      ['NULL'],
      ['null', 'Null'],
      [''],
      ['a b', 'a,b', '{a}', 'a"b', 'a\\b', ' lead'],
      // JSON.stringify spells these with escapes Postgres does not read (`\n` would come back as `n`).
      ['line\nbreak', 'tab\there', 'back\\nslash-n', 'bell\u0007'],
      ['ünïcødé 😀', 'true', 'false', 'null', '"quoted"'],
      [],
    ];
    for (const values of cases) {
      const [row] = await queryRows<{ a: string[] }>(
        database.db,
        sql`select ${textArrayLiteral(values)}::text[] as a`,
      );
      expect(row?.a, JSON.stringify(values)).toEqual(values);
    }
  });

  it('hands a batch its new ids in ascending order along the natural key', async () => {
    const { accountId, assetId } = await accountWithAsset('id order');
    // Ids made in the reverse of the key order: the row that sorts first must still get the smallest.
    const names = ['USN-5', 'USN-4', 'USN-3', 'USN-2', 'USN-1'];
    const rows = names.map((name, i) => ({
      ...vulnerabilityRow(assetId, name, new Date()),
      id: uuidv7(1_800_000_000_000 + i),
    }));
    expect(await upsertVulnerabilities(database.db, accountId, rows)).toEqual({
      created: 5,
      updated: 0,
      foreignAssetRows: 0,
    });
    const stored = await queryRows<{ name: string; id: string }>(
      database.db,
      sql`select name, id::text as id from vulnerabilities where account_id = ${accountId} order by id`,
    );
    expect(stored.map((r) => r.name)).toEqual([...names].sort());
    expect(stored.map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());
  });

  it('re-reports rows in place (HOT: the same page, no index entry) when half of each page comes back', async () => {
    const { accountId, assetId } = await accountWithAsset('hot');
    const name = (i: number) => `USN-${String(i).padStart(4, '0')}`;
    const seen = new Date('2026-03-01T00:00:00.000Z');
    const rows = Array.from({ length: 1000 }, (_, i) => vulnerabilityRow(assetId, name(i), seen));
    await upsertVulnerabilities(database.db, accountId, rows);
    const pages = async () =>
      new Map(
        (
          await queryRows<{ name: string; page: number }>(
            database.db,
            sql`select name, (ctid::text::point)[0]::int as page from vulnerabilities where account_id = ${accountId}`,
          )
        ).map((r) => [r.name, Number(r.page)]),
      );
    const before = await pages();
    // Every other row, seen again with a new title: half of each page's rows get a new version.
    const again = rows
      .filter((_, i) => i % 2 === 0)
      .map((r) => ({ ...r, id: uuidv7(), title: 'seen again', seen: new Date() }));
    expect(await upsertVulnerabilities(database.db, accountId, again)).toEqual({
      created: 0,
      updated: 500,
      foreignAssetRows: 0,
    });
    const after = await pages();
    const moved = again.filter((r) => after.get(r.name) !== before.get(r.name)).length;
    expect(moved).toBeLessThan(25);
  });

  it('keeps each row its own timestamp when a batch carries several', async () => {
    const { accountId, assetId } = await accountWithAsset('literals');
    const shared = new Date('2026-03-01T00:00:00.000Z');
    const seen = [shared, shared, new Date('2026-03-02T00:00:00.000Z'), shared];
    const rows = seen.map((at, i) => vulnerabilityRow(assetId, `USN-${i}`, at));
    expect(await upsertVulnerabilities(database.db, accountId, rows)).toEqual({
      created: 4,
      updated: 0,
      foreignAssetRows: 0,
    });
    const stored = await queryRows<{ name: string; at: string }>(
      database.db,
      sql`select name, to_char(last_seen_at at time zone 'UTC', 'YYYY-MM-DD') as at from vulnerabilities
        where account_id = ${accountId} order by name`,
    );
    expect(stored.map((r) => [r.name, r.at])).toEqual([
      ['USN-0', '2026-03-01'],
      ['USN-1', '2026-03-01'],
      ['USN-2', '2026-03-02'],
      ['USN-3', '2026-03-01'],
    ]);
  });
});

describe('each ingest statement checks the asset of every row', () => {
  it('alerts and attacks: writes rows of the account’s assets and without one, leaves out and counts the others', async () => {
    const { accountId, assetId: own } = await accountWithAsset('own assets');
    const { assetId: foreign } = await accountWithAsset('someone else');
    const orNone = [own, foreign, uuidv7(), own, null];
    const common = () => ({ id: uuidv7(), severity: 'low', status: 'unhandled', occurredAt: at });
    const results = {
      alerts: await upsertAlerts(
        database.db,
        accountId,
        orNone.map((a, i) => ({
          ...common(),
          assetId: a,
          externalId: `a-${i}`,
          name: 'a',
          type: 't',
          handledAt: null,
        })),
      ),
      attacks: await insertAttacks(
        database.db,
        accountId,
        orNone.map((a, i) => ({
          ...common(),
          assetId: a,
          externalId: `x-${i}`,
          attackType: 'x',
          sourceIp: null,
          blocked: false,
        })),
      ),
    };
    expect(results).toEqual({
      alerts: { created: 3, updated: 0, foreignAssetRows: 2 },
      attacks: { created: 3, updated: 0, foreignAssetRows: 2 },
    });
    const written = await queryRows<{ asset: string | null }>(
      database.db,
      sql`select asset_id::text as asset from alerts where account_id = ${accountId}
        union all select asset_id::text from attack_events where account_id = ${accountId}`,
    );
    expect(written.filter((r) => r.asset !== own && r.asset !== null)).toEqual([]);
    expect(written).toHaveLength(6);
  });

  it('vulnerabilities and baseline risks: a row naming another account’s asset, or none that exists, fails the whole statement on the (account, asset) foreign key', async () => {
    const { accountId, assetId: own } = await accountWithAsset('own assets only');
    const { assetId: foreign } = await accountWithAsset('their asset');
    const vulnerabilities = (assets: string[]) =>
      upsertVulnerabilities(
        database.db,
        accountId,
        assets.map((a, i) => vulnerabilityRow(a, `USN-${i}`, at)),
      );
    const baselineRisks = (assets: string[]) =>
      upsertBaselineRisks(
        database.db,
        accountId,
        assets.map((a, i) => ({
          id: uuidv7(),
          assetId: a,
          checkName: `check-${i}`,
          category: 'c',
          severity: 'low',
          status: 'unhandled',
        })),
      );
    for (const bad of [foreign, uuidv7()]) {
      for (const [write, key] of [
        [vulnerabilities, 'vulnerabilities_account_asset_fk'],
        [baselineRisks, 'baseline_risks_account_asset_fk'],
      ] as const) {
        const refused = await write([own, bad, own]).then(
          () => undefined,
          (err: unknown) => databaseErrorOf(err),
        );
        expect(refused).toEqual({ code: '23503', constraint: key });
        expect(ASSET_OF_ACCOUNT_KEYS.has(key)).toBe(true);
      }
    }
    expect(await findingsOf(accountId)).toEqual([]);
    expect(await vulnerabilities([own, own])).toEqual({ created: 2, updated: 0, foreignAssetRows: 0 });
    expect(await baselineRisks([own])).toEqual({ created: 1, updated: 0, foreignAssetRows: 0 });
    expect(await findingsOf(accountId)).toEqual([own, own, own]);
  });

  it('the foreign key holds on every write path, and deleting the asset deletes its findings', async () => {
    const { accountId, assetId: own } = await accountWithAsset('their own');
    const { accountId: other, assetId: foreign } = await accountWithAsset('the other');
    // A hand-written statement (not the ingest's) cannot file another account's asset under this account.
    const handWritten = await database.db
      .execute(
        sql`insert into vulnerabilities (id, account_id, asset_id, type, name, title, severity)
          values (${uuidv7()}, ${accountId}, ${foreign}, 'linux', 'USN-1', 't', 'low')`,
      )
      .then(
        () => undefined,
        (err: unknown) => databaseErrorOf(err),
      );
    expect(handWritten).toEqual({ code: '23503', constraint: 'vulnerabilities_account_asset_fk' });
    await upsertVulnerabilities(database.db, accountId, [vulnerabilityRow(own, 'USN-2', at)]);
    await upsertVulnerabilities(database.db, other, [vulnerabilityRow(foreign, 'USN-3', at)]);
    await database.db.execute(sql`delete from assets where id = ${own}`);
    expect(await findingsOf(accountId)).toEqual([]);
    expect(await findingsOf(other)).toEqual([foreign]);
  });
});

const at = new Date('2026-03-01T00:00:00.000Z');

/** The assets named by an account's vulnerabilities and baseline risks. */
async function findingsOf(accountId: string): Promise<string[]> {
  const rows = await queryRows<{ asset: string }>(
    database.db,
    sql`select asset_id::text as asset from vulnerabilities where account_id = ${accountId}
      union all select asset_id::text from baseline_risks where account_id = ${accountId}`,
  );
  return rows.map((r) => r.asset);
}
