import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { messages, types, type QueryOptions } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drizzleOptions, testDriver } from '../test/database.js';
import { openPglite, openPgliteWorker, pgliteDrizzle } from './client.js';
import type { VigilPglite } from './pglite-client.js';
import type { PgliteWorkerClient } from './pglite-worker-client.js';

const SCHEMA = `CREATE TABLE kinds (
  id serial PRIMARY KEY, name text UNIQUE, big bigint, flag boolean, doc jsonb, at timestamptz, day date,
  tags text[], ratio numeric, bytes bytea, uid uuid)`;

const INSERT = `INSERT INTO kinds (name, big, flag, doc, at, day, tags, ratio, bytes, uid)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`;

const row = (name: string) => [
  name,
  9007199254740993n,
  true,
  { a: [1, 'two', null], 'quo"te': 'ü\\n' },
  new Date('2026-01-02T03:04:05.678Z'),
  '2026-12-31',
  ['a', 'b,c', 'd"e', null, ''],
  '12345.6789',
  new Uint8Array([0, 1, 254, 255]),
  '01a25047-c07f-7550-9907-8a1b17ff1bc4',
];

describe.skipIf(testDriver() === 'postgres')('the embedded database on its own thread', () => {
  let worker: PgliteWorkerClient;
  let local: VigilPglite;
  beforeAll(async () => {
    [worker, local] = await Promise.all([openPgliteWorker(), openPglite()]);
    await Promise.all([worker.exec(SCHEMA), local.exec(SCHEMA)]);
  });
  afterAll(async () => {
    await Promise.all([worker.close(), local.close()]);
  });

  it('answers rows, fields, tags and counts as PGlite does in the same thread, with the caller’s parsers', async () => {
    for (const options of [undefined, drizzleOptions, { rowMode: 'object' } as const]) {
      const name = `row-${options?.rowMode ?? 'default'}`;
      const [there, here] = await Promise.all([
        worker.query(INSERT, row(name), options),
        local.query(INSERT, row(name), options),
      ]);
      expect(there).toEqual(here);
      const [readThere, readHere] = await Promise.all([
        worker.query('SELECT * FROM kinds WHERE name = $1', [name], options),
        local.query('SELECT * FROM kinds WHERE name = $1', [name], options),
      ]);
      expect(readThere).toEqual(readHere);
    }
    // The caller's parser ran on the column the worker kept as text (here, not there: functions do not cross).
    const parsed = await worker.query<{ at: unknown }>(
      'SELECT at FROM kinds WHERE name = $1',
      ['row-default'],
      {
        parsers: { [types.TIMESTAMPTZ]: (v: string) => `parsed ${v}` },
      },
    );
    expect(parsed.rows[0]?.at).toBe('parsed 2026-01-02 03:04:05.678+00');
  });

  it('rebuilds a database error: its class, SQLSTATE, constraint and detail, with the statement on it', async () => {
    const err: unknown = await worker.query(INSERT, row('row-default')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(messages.DatabaseError);
    expect(err).toMatchObject({
      code: '23505',
      constraint: 'kinds_name_key',
      detail: 'Key (name)=(row-default) already exists.',
      query: INSERT,
    });
    // And through Drizzle, as the services see it (Drizzle wraps it; the code is on the cause).
    const db = pgliteDrizzle(worker);
    const wrapped: unknown = await db.execute(sql`SELECT 1 / 0`).catch((e: unknown) => e);
    expect((wrapped as { cause?: { code?: string } }).cause?.code).toBe('22012');
  });

  it('refuses options that hold functions it cannot carry, sending nothing', async () => {
    const options = { serializers: { [types.TEXT]: (v: unknown) => String(v) } } as QueryOptions;
    await expect(worker.query('INSERT INTO kinds (name) VALUES ($1)', ['refused'], options)).rejects.toThrow(
      /does not take the option serializers/,
    );
    expect((await worker.query('SELECT 1 FROM kinds WHERE name = $1', ['refused'])).rows).toEqual([]);
  });

  it('fails a statement whose parameters cannot cross threads, and keeps answering the next', async () => {
    await expect(worker.query('SELECT $1::text AS v', [() => 'a function'])).rejects.toThrow(
      /could not be cloned/,
    );
    expect(worker.pendingCalls).toBe(0);
    expect((await worker.query('SELECT $1::text AS v', ['next'])).rows).toEqual([{ v: 'next' }]);
  });

  it('commits a transaction whose callback returns, and rolls back one that throws or rolls back', async () => {
    const db = pgliteDrizzle(worker);
    const count = async (name: string) =>
      (await worker.query<{ n: number }>('SELECT count(*)::int AS n FROM kinds WHERE name = $1', [name]))
        .rows[0]?.n;
    await db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO kinds (name) VALUES ('committed')`);
      // A nested transaction (a savepoint) that fails is undone alone.
      await tx
        .transaction(async (inner) => {
          await inner.execute(sql`INSERT INTO kinds (name) VALUES ('undone savepoint')`);
          throw new Error('inner');
        })
        .catch((e: unknown) => expect(e).toEqual(new Error('inner')));
    });
    expect(await count('committed')).toBe(1);
    expect(await count('undone savepoint')).toBe(0);

    await expect(
      db.transaction(async (tx) => {
        await tx.execute(sql`INSERT INTO kinds (name) VALUES ('thrown')`);
        throw new Error('callback failed');
      }),
    ).rejects.toThrow('callback failed');
    expect(await count('thrown')).toBe(0);

    await worker.transaction(async (tx) => {
      await tx.query("INSERT INTO kinds (name) VALUES ('rolled back')");
      await tx.rollback();
      expect(tx.closed).toBe(true);
      await expect(tx.query('SELECT 1')).rejects.toThrow('Transaction is closed');
    });
    expect(await count('rolled back')).toBe(0);
  });

  it('holds other statements until an open transaction ends, as PGlite does', async () => {
    const seen: string[] = [];
    let outside: Promise<unknown> = Promise.resolve();
    await worker.transaction(async (tx) => {
      await tx.query("INSERT INTO kinds (name) VALUES ('in flight')");
      outside = worker
        .query<{ n: number }>("SELECT count(*)::int AS n FROM kinds WHERE name = 'in flight'")
        .then((r) => seen.push(`outside saw ${r.rows[0]?.n}`));
      // The outside statement is queued behind the transaction: it has not answered after the transaction's next one.
      await tx.query('SELECT pg_sleep(0.05)');
      seen.push('transaction ends');
    });
    await outside;
    expect(seen).toEqual(['transaction ends', 'outside saw 1']);
  });

  it('answers many concurrent statements each with its own rows', async () => {
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => worker.query<{ n: number }>('SELECT $1::int * 2 AS n', [i])),
    );
    expect(answers.map((a) => a.rows[0]?.n)).toEqual(Array.from({ length: 200 }, (_, i) => i * 2));
  });

  it('works on the database while the calling thread goes on', async () => {
    // In one thread, a statement running in WebAssembly blocks the event loop until it ends: no timer fires.
    const ticksDuring = async (client: { query: (s: string) => Promise<unknown> }) => {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      try {
        await client.query('SELECT count(*) FROM generate_series(1, 3000000)');
      } finally {
        clearInterval(timer);
      }
      return ticks;
    };
    expect(await ticksDuring(local)).toBeLessThanOrEqual(1);
    expect(await ticksDuring(worker)).toBeGreaterThan(3);
  });
});

describe.skipIf(testDriver() === 'postgres')('the embedded database thread, opened and ended', () => {
  it('keeps a data folder across a close and a new thread', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-pglite-worker-'));
    try {
      const first = await openPgliteWorker(dir);
      await first.exec('CREATE TABLE kept (v text)');
      await first.query('INSERT INTO kept VALUES ($1)', ['across threads']);
      await first.close();
      await expect(first.query('SELECT 1')).rejects.toThrow(/stopped/);
      const second = await openPgliteWorker(dir);
      expect((await second.query<{ v: string }>('SELECT v FROM kept')).rows).toEqual([
        { v: 'across threads' },
      ]);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails every waiting and later call when the thread dies', async () => {
    const client = await openPgliteWorker();
    const waiting = client.query('SELECT pg_sleep(0.2)');
    await client.terminate();
    await expect(waiting).rejects.toThrow(/the embedded database's thread stopped/);
    await expect(client.query('SELECT 1')).rejects.toThrow(/the embedded database's thread stopped/);
    await expect(client.transaction(() => Promise.resolve(1))).rejects.toThrow(/stopped/);
  });
});
