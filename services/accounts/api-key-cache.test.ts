import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../db/client.js';
import { apiKeys } from '../../db/schema/accounts.js';
import { createTestContext, type TestAccount, type TestContext } from '../../test/harness.js';
import { createScratchPostgres, testDriver } from '../../test/database.js';
import { hashToken } from '../../platform/secrets.js';
import { apiKeyCache, forgetApiKey } from './api-key-cache.js';
import { createAccount } from './create-account.js';
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
      // This process and "another API process": each its own connection pool and its own cache.
      const here = await createScratchPostgres(process.env.TEST_DATABASE_URL ?? '', 'vigil_keys', 2);
      const other = await openDatabase({ url: here.url, poolMax: 2 });
      const unsubscribe = await subscribeToApiKeyRevocations(here.handle);
      try {
        const { db } = here.handle;
        const { account, adminKey } = await createAccount(db, { name: 'two processes' });
        const k = await createApiKey(db, {
          accountId: account.id,
          name: 'revoked elsewhere',
          role: 'operator',
        });
        expect(await authenticateApiKey(db, k.key)).not.toBeNull(); // now cached here, for minutes
        const by = { accountId: account.id, actor: `key:${adminKey.id}`, requestId: 'test' };
        await revokeApiKey(other.db, by, { id: k.id });
        await expect.poll(() => authenticateApiKey(db, k.key), { timeout: 3000, interval: 50 }).toBeNull();
      } finally {
        await unsubscribe();
        await other.close();
        await here.handle.close();
      }
    },
  );

  it.runIf(testDriver() === 'postgres')(
    'trusts no cached key once the revocation listener lost its connection (notifications sent meanwhile are gone)',
    async () => {
      const here = await createScratchPostgres(process.env.TEST_DATABASE_URL ?? '', 'vigil_relisten', 2);
      const other = await openDatabase({ url: here.url, poolMax: 2 });
      const unsubscribe = await subscribeToApiKeyRevocations(here.handle);
      try {
        const { db } = here.handle;
        const { account } = await createAccount(db, { name: 'lost notification' });
        const k = await createApiKey(db, {
          accountId: account.id,
          name: 'revoked unheard',
          role: 'operator',
        });
        expect(await authenticateApiKey(db, k.key)).not.toBeNull(); // cached for minutes
        // A revocation whose notification this process never hears (it was sent while the listener was away) ...
        await other.db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, k.id));
        expect(await authenticateApiKey(db, k.key)).not.toBeNull();
        // ... then the listener's connection drops; postgres.js reconnects and listens again.
        await other.db.execute(
          sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query ilike 'listen%'`,
        );
        await expect.poll(() => authenticateApiKey(db, k.key), { timeout: 10_000, interval: 100 }).toBeNull();
      } finally {
        await unsubscribe();
        await other.close();
        await here.handle.close();
      }
    },
  );
});
