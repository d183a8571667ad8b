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
  const name = `vigil_t_${randomToken(12).toLowerCase()}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ url: url.toString(), poolMax: 10 });
  await handle.migrate();
  return {
    ...handle,
    async close() {
      await handle.close();
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end({ timeout: 5 });
    },
  };
}
