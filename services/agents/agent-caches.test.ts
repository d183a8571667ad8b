import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../db/client.js';
import { AGENT_TOKEN_PREFIX } from '../../domain/agent-jobs.js';
import { createTestContext, type TestAccount, type TestContext } from '../../test/harness.js';
import { statementsDuring, testDriver } from '../../test/database.js';
import { AGENT_AUTH_CACHE_MS, type AgentCaller } from './agent-token-cache.js';
import { inspectAgentJobs } from './inspect-agent-jobs.js';
import { authenticateAgent } from './authenticate-agent.js';
import { createEnrollmentToken } from './create-enrollment-token.js';
import { markSilentAgentsOffline } from './mark-silent-agents-offline.js';
import { registerAgent } from './register-agent.js';
import { subscribeToAgentTokenChanges } from './subscribe-to-agent-token-changes.js';
import {
  EMPTY_LOOK_TRUST_MS,
  EMPTY_LOOK_TRUST_NOTIFIED_MS,
  forgetEmptyLook,
  jobGeneration,
  knownEmpty,
  notifyJobCreated,
  rememberEmptyLook,
  subscribeToJobNotifications,
} from './job-notifier.js';

let ctx: TestContext;
let acct: TestAccount;

beforeAll(async () => {
  ctx = await createTestContext();
  acct = await ctx.createAccount();
});
afterAll(() => ctx.close());

async function enrollHost(db: DatabaseHandle['db'], hostname: string): Promise<string> {
  const { token } = await createEnrollmentToken(
    db,
    { accountId: acct.accountId, actor: 'test' },
    { expiresInHours: 1 },
  );
  const outcome = await registerAgent(db, {
    enrollmentToken: token,
    hostname,
    osFamily: 'linux',
    osVersion: 'Ubuntu 22.04',
    agentVersion: 'test',
    executor: 'simulate',
    ips: [],
  });
  if (!outcome.ok) throw new Error(`registration refused: ${outcome.reason}`);
  return outcome.agentToken;
}

async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('agent token cache', () => {
  it.runIf(testDriver() === 'postgres')(
    'drops a token replaced through another process at once, though lookups are kept for minutes',
    async () => {
      const unsubscribe = await subscribeToAgentTokenChanges(ctx.database);
      // "Another API process": its own connection pool and its own token cache.
      const other = await openDatabase({ url: await scratchUrlOf(ctx.database), poolMax: 2 });
      try {
        const first = await enrollHost(ctx.database.db, 'cache-host-1');
        expect(await authenticateAgent(ctx.database.db, first)).not.toBeNull(); // now cached here
        const second = await enrollHost(other.db, 'cache-host-1'); // same host enrolls again elsewhere
        expect(second).not.toBe(first);
        // Without the notification the cached lookup would admit the old token for minutes.
        expect(
          await eventually(async () => (await authenticateAgent(ctx.database.db, first)) === null, 3000),
        ).toBe(true);
        expect((await authenticateAgent(ctx.database.db, second))?.assetId).toBeDefined();
      } finally {
        await other.close();
        await unsubscribe();
      }
    },
  );
});

describe('agent token cache lifetime', () => {
  it.runIf(testDriver() === 'postgres')(
    'keeps a lookup for minutes when the offline sweep it overlapped marked nothing',
    async () => {
      const unsubscribe = await subscribeToAgentTokenChanges(ctx.database);
      const locker = postgres(await scratchUrlOf(ctx.database), { max: 1, onnotice: () => undefined });
      const spy = vi.spyOn(Date, 'now');
      try {
        const token = await enrollHost(ctx.database.db, 'sweep-host');
        // The lookup waits behind a lock while a sweep that marks nothing offline runs and ends.
        let release = () => undefined as void;
        const locked = new Promise<void>((ready) => {
          void locker.begin(async (tx) => {
            await tx`lock table agents in access exclusive mode`;
            ready();
            await new Promise<void>((r) => (release = r));
          });
        });
        await locked;
        const lookup = authenticateAgent(ctx.database.db, token);
        expect(await markSilentAgentsOffline(ctx.database.db)).toBe(0);
        release();
        const caller = await lookup;
        expect(caller).not.toBeNull();
        // Past the short lifetime: still the cached caller (the same object), not a new lookup.
        const later = Date.now() + AGENT_AUTH_CACHE_MS + 1000;
        spy.mockReturnValue(later);
        expect(await authenticateAgent(ctx.database.db, token)).toBe(caller);
      } finally {
        spy.mockRestore();
        await locker.end();
        await unsubscribe();
      }
    },
  );
});

describe('idle polls skip the database look', () => {
  it('trusts an empty look only until a job comes for the asset', () => {
    const asset = `asset-${Date.now()}`;
    expect(knownEmpty(asset, 'pglite')).toBe(false); // never looked
    rememberEmptyLook(asset, jobGeneration(asset));
    expect(knownEmpty(asset, 'pglite')).toBe(true);
    notifyJobCreated(asset);
    expect(knownEmpty(asset, 'pglite')).toBe(false);
    // A look that began before a wake-up is not trusted either.
    const before = jobGeneration(asset);
    notifyJobCreated(asset);
    rememberEmptyLook(asset, before);
    expect(knownEmpty(asset, 'pglite')).toBe(false);
    rememberEmptyLook(asset, jobGeneration(asset));
    forgetEmptyLook(asset);
    expect(knownEmpty(asset, 'pglite')).toBe(false);
  });

  it('on Postgres only while the workers’ notifications are heard', async () => {
    const asset = `asset-pg-${Date.now()}`;
    rememberEmptyLook(asset, jobGeneration(asset));
    expect(knownEmpty(asset, 'postgres')).toBe(false);
    const unsubscribe = await subscribeToJobNotifications(ctx.database.listen);
    try {
      rememberEmptyLook(asset, jobGeneration(asset));
      expect(knownEmpty(asset, 'postgres')).toBe(testDriver() === 'postgres');
    } finally {
      await unsubscribe();
    }
  });

  it('trusts an empty look for minutes while notifications are heard, a minute otherwise', async () => {
    const asset = `asset-trust-${Date.now()}`;
    const unsubscribe = await subscribeToJobNotifications(ctx.database.listen);
    const spy = vi.spyOn(Date, 'now');
    try {
      const start = Date.now();
      const at = (ms: number) => spy.mockReturnValue(start + ms);
      rememberEmptyLook(asset, jobGeneration(asset));
      at(EMPTY_LOOK_TRUST_MS + 1000);
      expect(knownEmpty(asset, 'postgres')).toBe(testDriver() === 'postgres');
      at(EMPTY_LOOK_TRUST_NOTIFIED_MS + 1000);
      expect(knownEmpty(asset, 'postgres')).toBe(false);
      at(0);
      rememberEmptyLook(asset, jobGeneration(asset));
      at(EMPTY_LOOK_TRUST_MS + 1000);
      expect(knownEmpty(asset, 'pglite')).toBe(false);
    } finally {
      spy.mockRestore();
      await unsubscribe();
    }
  });
});

describe('a fleet reconnecting at once', () => {
  it('looks up a thousand agent tokens and their jobs in a few statements, not one each', async () => {
    const tokens = await Promise.all([1, 2, 3].map((i) => enrollHost(ctx.database.db, `fleet-host-${i}`)));
    const asked = Array.from({ length: 1_000 }, (_, i) =>
      i < 3 ? (tokens[i] ?? '') : `${AGENT_TOKEN_PREFIX}unknown-${i}`,
    );
    let callers: (AgentCaller | null)[] = [];
    const lookups = await statementsDuring(ctx.database, async () => {
      callers = await Promise.all(asked.map((t) => authenticateAgent(ctx.database.db, t)));
    });
    expect(callers.filter((c) => c !== null)).toHaveLength(3);
    expect(lookups).toBeLessThanOrEqual(2);

    const deps = { db: ctx.database.db, temporal: ctx.services.temporal, logger: ctx.services.logger };
    const polls = Array.from({ length: 1_000 }, (_, i) => callers[i % 3] ?? null).filter(
      (c): c is AgentCaller => c !== null,
    );
    const inspections = await statementsDuring(ctx.database, () =>
      Promise.all(polls.map((agent) => inspectAgentJobs(deps, agent))),
    );
    expect(inspections).toBeLessThanOrEqual(2);
  });

  it('costs no query for a poll whose client went away while it queued', async () => {
    const poll = (token: string, signal?: AbortSignal) =>
      ctx.app.request(
        new Request('http://vigil.test/agent/v1/jobs?waitSeconds=0', {
          headers: { authorization: `Bearer ${token}` },
          signal,
        }),
      );
    // Another agent's poll first: this process's offline sweep (every 15 s) is not due during the one measured.
    expect((await poll(await enrollHost(ctx.database.db, 'gone-warm'))).status).toBe(204);
    const token = await enrollHost(ctx.database.db, 'gone-host');
    expect(await authenticateAgent(ctx.database.db, token)).not.toBeNull(); // token cached, jobs never looked at
    const gone = new AbortController();
    gone.abort();
    let status = 0;
    expect(
      await statementsDuring(ctx.database, async () => {
        status = (await poll(token, gone.signal)).status;
      }),
    ).toBe(0);
    expect(status).toBe(204);
  });
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
