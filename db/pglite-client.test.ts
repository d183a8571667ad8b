import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite, type QueryOptions, type Results, type Transaction } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drizzleOptions, testDriver } from '../test/database.js';
import { openPglite } from './client.js';
import { MAX_PREPARED_STATEMENTS, type VigilPglite } from './pglite-client.js';

/** PGlite's own `query` on the same instance: what the prepared path must answer identically. */
const stockQuery = <T>(db: VigilPglite, sql: string, params?: unknown[], options?: QueryOptions) =>
  PGlite.prototype.query.call(db, sql, params, options) as Promise<Results<T>>;

const preparedInBackend = async (db: VigilPglite) =>
  (
    await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'vigil_%'",
    )
  ).rows[0]?.n;

describe.skipIf(testDriver() === 'postgres')('the embedded client (PGlite on prepared statements)', () => {
  let db: VigilPglite;
  beforeAll(async () => {
    db = await openPglite();
    await db.exec(`CREATE TABLE kinds (
      id serial PRIMARY KEY, name text UNIQUE, big bigint, flag boolean, doc jsonb, raw json, at timestamptz, day date,
      tags text[], nums int[], ratio numeric, bytes bytea, uid uuid, score real)`);
  });
  afterAll(async () => {
    await db.close();
  });

  it('answers rows, fields, command tags and counts exactly as PGlite does, in both row modes', async () => {
    const insert = `INSERT INTO kinds (name, big, flag, doc, raw, at, day, tags, nums, ratio, bytes, uid, score)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13), ($14, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, NULL, NULL, NULL) RETURNING *`;
    const row = (name: string) => [
      name,
      9007199254740993n,
      true,
      { a: [1, 'two', null], 'quo"te': 'ü\\n' },
      '[1, "json text as given"]',
      new Date('2026-01-02T03:04:05.678Z'),
      '2026-12-31',
      ['a', 'b,c', 'd"e', null, ''],
      [1, 2, 3],
      '12345.6789',
      new Uint8Array([0, 1, 254, 255]),
      '01a25047-c07f-7550-9907-8a1b17ff1bc4',
      1.5,
      `${name}-empty`,
    ];
    const ours = await db.query(insert, row('one'));
    const theirs = await stockQuery(db, insert, row('two'));
    const withoutName = (r: Results<unknown>) => ({
      ...r,
      rows: r.rows.map((x) => ({ ...(x as object), id: 0, name: '' })),
    });
    expect(withoutName(ours)).toEqual(withoutName(theirs));
    expect(ours.command).toBe('INSERT');
    expect(ours.affectedRows).toBe(2);

    const select = 'SELECT * FROM kinds WHERE name = ANY($1) ORDER BY id';
    for (const options of [undefined, drizzleOptions, { rowMode: 'object' as const }]) {
      // Twice each: the first run prepares, the second runs the prepared statement.
      for (let i = 0; i < 2; i++) {
        expect(await db.query(select, [['one', 'one-empty']], options)).toEqual(
          await stockQuery(db, select, [['one', 'one-empty']], options),
        );
      }
    }
    const update = 'UPDATE kinds SET flag = NOT coalesce(flag, false) WHERE name LIKE $1';
    expect(await db.query(update, ['one%'])).toEqual(await stockQuery(db, update, ['one%']));
    expect(await db.query('SELECT 1 WHERE false')).toEqual(await stockQuery(db, 'SELECT 1 WHERE false'));
  });

  it('prepares a statement once and runs it again by name', async () => {
    const sql = 'SELECT name FROM kinds WHERE id > $1 ORDER BY id LIMIT 1';
    const before = db.preparedStatements;
    await db.query(sql, [0]);
    await db.query(sql, [0]);
    await db.query(sql, [1]);
    expect(db.preparedStatements).toBe(before + 1);
    // A parenthesised UNION (Drizzle writes them so) is a query too: prepared, and it forgets nothing.
    const union = '(SELECT name FROM kinds WHERE id = $1) UNION ALL (SELECT name FROM kinds WHERE id = $2)';
    await db.query(union, [1, 2]);
    await db.query(union, [2, 1]);
    expect(db.preparedStatements).toBe(before + 2);
  });

  it('throws the database error PGlite throws, and keeps a statement that failed to prepare out of the cache', async () => {
    const dup = 'INSERT INTO kinds (name) VALUES ($1)';
    const caught = async (run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (err) {
        return err;
      }
      throw new Error('expected an error');
    };
    const ours = await caught(() => db.query(dup, ['one']));
    const theirs = await caught(() => stockQuery(db, dup, ['one']));
    expect(ours).toBeInstanceOf(Error);
    expect({ ...(ours as object) }).toEqual({ ...(theirs as object) });
    expect((ours as { code: string }).code).toBe('23505');

    const before = db.preparedStatements;
    await expect(db.query('SELECT nope FROM kinds')).rejects.toMatchObject({ code: '42703' });
    expect(db.preparedStatements).toBe(before);
  });

  it('sees a table change shape inside a transaction (DDL forgets the prepared statements)', async () => {
    await db.exec('CREATE TABLE shapes (id int)');
    await db.query('INSERT INTO shapes VALUES ($1)', [1]);
    expect((await db.query('SELECT * FROM shapes')).rows).toEqual([{ id: 1 }]);
    // In a transaction a stale statement cannot be retried: its error would abort the transaction.
    const rows = await db.transaction(async (tx) => {
      await tx.query('ALTER TABLE shapes ADD COLUMN label text');
      return (await tx.query('SELECT * FROM shapes')).rows;
    });
    expect(rows).toEqual([{ id: 1, label: null }]);
    await db.transaction(async (tx) => {
      await tx.exec('ALTER TABLE shapes DROP COLUMN label');
      expect((await tx.query('SELECT * FROM shapes')).rows).toEqual([{ id: 1 }]);
    });
  });

  it('keeps statements prepared in a rolled-back transaction usable, and rolls back their writes', async () => {
    const insert = 'INSERT INTO kinds (name) VALUES ($1) RETURNING name';
    const count = "SELECT count(*)::int AS n FROM kinds WHERE name LIKE 'rolled%'";
    await expect(
      db.transaction(async (tx) => {
        await tx.query(insert, ['rolled-1']);
        expect((await tx.query<{ n: number }>(count)).rows[0]?.n).toBe(1);
        throw new Error('give up');
      }),
    ).rejects.toThrow('give up');
    expect((await db.query<{ n: number }>(count)).rows[0]?.n).toBe(0);
    expect((await db.query(insert, ['rolled-2'])).rows).toEqual([{ name: 'rolled-2' }]);
    expect((await db.query<{ n: number }>(count)).rows[0]?.n).toBe(1);
  });

  it('fails the rest of an aborted transaction as PGlite does, then works again', async () => {
    let seen: string | undefined;
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO kinds (name) VALUES ($1)', ['one']).catch(() => undefined);
        seen = await tx.query('SELECT name FROM kinds WHERE id > $1', [0]).then(
          () => 'no error',
          (err: { code?: string }) => err.code,
        );
      }),
    ).rejects.toMatchObject({ code: '25P02' });
    expect(seen).toBe('25P02');
    expect((await db.query('SELECT name FROM kinds WHERE id > $1 LIMIT 1', [0])).rows).toHaveLength(1);
  });

  it('refuses statements on a finished transaction', async () => {
    let leaked: Transaction | null = null;
    await db.transaction(async (tx) => {
      leaked = tx;
      await tx.query('SELECT 1');
    });
    await expect((leaked as Transaction | null)?.query('SELECT 1')).rejects.toThrow('Transaction is closed');
  });

  it('runs a statement of someone else only after an open transaction ends', async () => {
    let inserted = () => undefined as void;
    const insertedYet = new Promise<void>((resolve) => (inserted = resolve));
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const tx = db.transaction(async (t) => {
      await t.query('INSERT INTO kinds (name) VALUES ($1)', ['in-flight']);
      inserted();
      await held;
      await t.rollback();
    });
    await insertedYet;
    // Had it run inside the open transaction it would see the row the transaction then rolls back.
    const outside = db.query("SELECT count(*)::int AS n FROM kinds WHERE name = 'in-flight'");
    release();
    await tx;
    expect((await outside).rows).toEqual([{ n: 0 }]);
  });

  it(`keeps at most ${MAX_PREPARED_STATEMENTS} statements prepared, closing the least recently used`, async () => {
    for (let i = 0; i < MAX_PREPARED_STATEMENTS + 20; i++)
      await db.query(`SELECT ${i} AS n WHERE $1::int > 0`, [1]);
    expect(db.preparedStatements).toBe(MAX_PREPARED_STATEMENTS);
    // The evicted ones are closed in the backend with the next message, not only forgotten here.
    expect(await preparedInBackend(db)).toBeLessThanOrEqual(MAX_PREPARED_STATEMENTS + 1);
    expect((await db.query('SELECT 0 AS n WHERE $1::int > 0', [1])).rows).toEqual([{ n: 0 }]);
  });

  it('opens a data folder, keeps what was written through a restart', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-pglite-'));
    try {
      const first = await openPglite(path.join(dir, 'pglite'));
      await first.exec('CREATE TABLE kept (n int)');
      await first.query('INSERT INTO kept VALUES ($1)', [42]);
      await first.close();
      const again = await openPglite(path.join(dir, 'pglite'));
      expect((await again.query('SELECT n FROM kept')).rows).toEqual([{ n: 42 }]);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
