import postgres from 'postgres';
import { openDatabase, type DatabaseHandle } from '../db/client.js';
import { randomToken } from '../platform/secrets.js';

export type TestDriver = 'pglite' | 'postgres';

export function testDriver(): TestDriver {
  return process.env.VIGIL_TEST_DB === 'postgres' ? 'postgres' : 'pglite';
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
