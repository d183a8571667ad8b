import { types, type QueryOptions } from '@electric-sql/pglite';
import postgres from 'postgres';
import { openDatabase, plannedOnce, type DatabaseHandle } from '../db/client.js';
import { randomToken } from '../platform/secrets.js';

export type TestDriver = 'pglite' | 'postgres';

/** Drizzle's PGlite session passes these (dates and intervals stay text); arrays of rows, as Drizzle asks. */
export const drizzleOptions: QueryOptions = {
  rowMode: 'array',
  parsers: {
    [types.TIMESTAMP]: (v: string) => v,
    [types.TIMESTAMPTZ]: (v: string) => v,
    [types.DATE]: (v: string) => v,
  },
};

export function testDriver(): TestDriver {
  return process.env.VIGIL_TEST_DB === 'postgres' ? 'postgres' : 'pglite';
}

/**
 * Statements the driver is sent while `run` runs (PGlite's query/exec, postgres.js's unsafe), on the database's
 * connections and on its planned-once ones (db/client.ts `plannedOnce`).
 */
export async function statementsDuring(handle: DatabaseHandle, run: () => Promise<unknown>): Promise<number> {
  const clientOf = (db: unknown) => (db as { $client: Record<string, unknown> }).$client;
  const clients = new Set([clientOf(handle.db), clientOf(plannedOnce(handle.db))]);
  let sent = 0;
  const originals: { client: Record<string, unknown>; name: string; original: unknown }[] = [];
  for (const client of clients) {
    for (const name of ['query', 'exec', 'unsafe']) {
      const original = client[name];
      if (typeof original !== 'function') continue;
      originals.push({ client, name, original });
      client[name] = function counted(this: unknown, ...rest: unknown[]) {
        sent++;
        return (original as (...a: unknown[]) => unknown).apply(this, rest);
      };
    }
  }
  try {
    await run();
  } finally {
    for (const { client, name, original } of originals) client[name] = original;
  }
  return sent;
}

/**
 * The fewest statements `run` sent in up to `tries` runs (stopping at `floor`): the process's periodic sweeps share
 * the database client, so one run may count a sweep's statement too.
 */
export async function fewestStatements(
  handle: DatabaseHandle,
  run: () => Promise<unknown>,
  floor: number,
  tries = 3,
): Promise<number> {
  let fewest = Infinity;
  for (let i = 0; i < tries && fewest > floor; i++)
    fewest = Math.min(fewest, await statementsDuring(handle, run));
  return fewest;
}

/**
 * A migrated database of its own for one test file: an in-memory PGlite, or a fresh database on the Postgres of
 * TEST_DATABASE_URL that is dropped on close.
 */
export async function createTestDatabase(driver: TestDriver = testDriver()): Promise<DatabaseHandle> {
  if (driver === 'pglite') {
    const handle = await openDatabase({});
    await handle.migrate();
    return handle;
  }
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('VIGIL_TEST_DB=postgres needs TEST_DATABASE_URL');
  return (await createScratchPostgres(adminUrl, 'vigil_t')).handle;
}

/**
 * A fresh, migrated database on the Postgres server of `adminUrl`, dropped on close; its URL lets other processes
 * (a separate API or worker) open it too.
 */
export async function createScratchPostgres(
  adminUrl: string,
  prefix: string,
  poolMax = 10,
): Promise<{ handle: DatabaseHandle; url: string }> {
  const name = `${prefix}_${randomToken(12).toLowerCase()}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ url: url.toString(), poolMax });
  await handle.migrate();
  return {
    url: url.toString(),
    handle: {
      ...handle,
      async close() {
        await handle.close();
        await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end({ timeout: 5 });
      },
    },
  };
}
