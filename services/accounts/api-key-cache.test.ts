import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../db/client.js';
import { apiKeys } from '../../db/schema/accounts.js';
import { createTestContext, type TestAccount, type TestContext } from '../../test/harness.js';
import { testDriver } from '../../test/database.js';
import { hashToken } from '../../platform/secrets.js';
import { apiKeyCache, forgetApiKey } from './api-key-cache.js';
import { authenticateApiKey, createApiKey } from './api-keys.js';
import { revokeApiKey } from './revoke-api-key.js';
import { subscribeToApiKeyRevocations } from './subscribe-to-api-key-revocations.js';

let ctx: TestContext;
let acct: TestAccount;

beforeAll(async () => {
  ctx = await createTestContext();
  acct = await ctx.createAccount();
});
afterAll(() => ctx.close());

const actor = () => ({ accountId: acct.accountId, actor: 'test', requestId: 'test' });
const newKey = (db: DatabaseHandle['db'], name: string) =>
  createApiKey(db, { accountId: acct.accountId, name, role: 'operator' });

/** Makes the row say something the cache does not: a cached lookup still answers the old role. */
const demoteInDatabase = (db: DatabaseHandle['db'], id: string) =>
  db.update(apiKeys).set({ role: 'viewer' }).where(eq(apiKeys.id, id));

async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('API key cache', () => {
  it('answers a looked-up key from memory, and refuses it at once when it is revoked', async () => {
    const { db } = ctx.database;
    const unsubscribe = await subscribeToApiKeyRevocations(ctx.database); // lookups kept for minutes
    try {
      const k = await newKey(db, 'cached');
      expect((await authenticateApiKey(db, k.key))?.role).toBe('operator');
      await demoteInDatabase(db, k.id);
      expect((await authenticateApiKey(db, k.key))?.role).toBe('operator'); // from the cache
      await revokeApiKey(db, actor(), { id: k.id });
      expect(await authenticateApiKey(db, k.key)).toBeNull();
    } finally {
      await unsubscribe();
    }
  });

  it('keeps no lookup that a revocation overtook', async () => {
    const { db } = ctx.database;
    const k = await newKey(db, 'overtaken');
    const lookup = authenticateApiKey(db, k.key); // its SELECT is on its way
    forgetApiKey(db, k.id); // a revocation committed meanwhile
    expect(await lookup).not.toBeNull();
    expect(apiKeyCache(db).byHash.has(hashToken(k.key))).toBe(false);
  });

  it.runIf(testDriver() === 'postgres')(
    'drops a key revoked through another process at once, though lookups are kept for minutes',
    async () => {
      const { db } = ctx.database;
      const unsubscribe = await subscribeToApiKeyRevocations(ctx.database);
      // "Another API process": its own connection pool and its own cache.
      const other = await openDatabase({ url: await scratchUrlOf(ctx.database), poolMax: 2 });
      try {
        const k = await newKey(db, 'revoked elsewhere');
        expect(await authenticateApiKey(db, k.key)).not.toBeNull(); // now cached here, for minutes
        await revokeApiKey(other.db, actor(), { id: k.id });
        expect(await eventually(async () => (await authenticateApiKey(db, k.key)) === null, 3000)).toBe(true);
      } finally {
        await other.close();
        await unsubscribe();
      }
    },
  );
});

/** The URL of this file's scratch database (same server as TEST_DATABASE_URL, this file's database name). */
async function scratchUrlOf(handle: DatabaseHandle): Promise<string> {
  const [row] = await handle.db
    .select({ name: sql<string>`current_database()` })
    .from(sql`(select 1) as one`);
  const url = new URL(process.env.TEST_DATABASE_URL ?? '');
  url.pathname = `/${row?.name ?? ''}`;
  return url.toString();
}
