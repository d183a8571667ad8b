import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { serve, type ServerType } from '@hono/node-server';
import { Client } from '@temporalio/client';
import { eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { startAgent, type RunningAgent } from '../agent/agent.js';
import { createAccount } from '../services/accounts/create-account.js';
import { ingestVulnerabilities } from '../services/inventory/ingest-findings.js';
import { enableDirectory } from '../services/multi-account/enable-directory.js';
import { directoryOverview } from '../services/multi-account/risk-views.js';
import { createApp } from '../api/app.js';
import { assets } from '../db/schema/inventory.js';
import { SEVERITIES } from '../domain/findings.js';
import { settingsWithMode } from '../domain/multi-account/member-settings.js';
import type { Services } from '../api/context.js';
import { openDatabase, type DatabaseHandle } from '../db/client.js';
import { loadConfig } from '../platform/config.js';
import { startDevServer } from '../platform/dev-server.js';
import { createLogger } from '../platform/logger.js';
import { createSecretBox, randomToken } from '../platform/secrets.js';
import { buildServices } from '../platform/services.js';
import { connectTemporalClient } from '../platform/temporal.js';
import { ensureTemporalCli } from '../platform/temporal-cli.js';
import { createWorkers } from '../worker/worker.js';
import { concurrentLoad, percentile, progress } from './progress.js';
import { arg, args } from './cli.js';

/**
 * Multi-account figures. (1) `GET /v1/multi-account/overview` for 500 managed members holding 50,000 assets and
 * 500,000 findings (300k vulnerabilities, 100k alerts, 100k baseline risks; seeded with bulk SQL), p50/p99 over
 * loopback HTTP, on Postgres (a fresh database) and on PGlite, and the score explained of one member
 * (`GET /members/{id}/score`, sequential); plus the query alone against the baseline of
 * counting the findings directly (what the overview did before the `risk_counts` table), alternating in one run.
 * (2) A settings rollout to 1,000 in-process simulated agents over real HTTP and Temporal: time until every agent
 * reports the revision. (3) What the `risk_counts` triggers (migration 0012) cost ingestion on Postgres: 10 × 1,000
 * vulnerabilities inserted, re-sent unchanged and re-sent as fixed, with the triggers and without them (the
 * baseline, disabled in the same database). Prints one JSON object.
 * `npx tsx bench/multi-account.ts [--requests N] [--agents N] [--skip-pglite] [--skip-rollout] [--skip-ingest]`
 */
const MEMBERS = arg('members', 500);
const ASSETS_PER_MEMBER = arg('assets-per-member', 100);
const REQUESTS = arg('requests', 200);
const CONCURRENCY = arg('concurrency', 2);
const AGENTS = arg('agents', 1000);
const PG_URL =
  process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function openBenchDatabase(
  driver: 'pglite' | 'postgres',
): Promise<{ handle: DatabaseHandle; drop: () => Promise<void> }> {
  if (driver === 'pglite') {
    const handle = await openDatabase({});
    await handle.migrate();
    return { handle, drop: () => handle.close() };
  }
  const name = `multiaccount_bench_${randomToken(8).toLowerCase()}`;
  const admin = postgres(PG_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ url: url.toString(), poolMax: 30 });
  await handle.migrate();
  return {
    handle,
    drop: async () => {
      await handle.close();
      if (process.env.BENCH_KEEP_DB) {
        process.stderr.write(`kept database ${name}\n`);
        await admin.end();
        return;
      }
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

function benchServices(
  handle: DatabaseHandle,
  temporal: Client,
  extraEnv: Record<string, string> = {},
): Services {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    VIGIL_RATE_LIMIT_PER_MINUTE: '10000000',
    VIGIL_MASTER_KEY: 'a'.repeat(64),
    ...extraEnv,
  });
  return buildServices({
    config,
    database: handle,
    temporal,
    logger: createLogger('silent'),
    secrets: createSecretBox(Buffer.alloc(32, 7)),
  });
}

async function listen(
  app: ReturnType<typeof createApp>,
): Promise<{ base: string; close: () => Promise<void> }> {
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    if ('keepAliveTimeout' in s) s.keepAliveTimeout = 65_000;
  });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}

/** 500 members × 100 assets; per asset 6 vulnerabilities, 2 alerts, 2 baseline risks; how much is open varies by member. */
async function seed(handle: DatabaseHandle, directoryId: string): Promise<Record<string, number>> {
  const { db } = handle;
  const t0 = performance.now();
  const member = sql`a.name like 'bench-member-%'`;
  // Per-member share (0–9 tenths) of findings still open/unhandled, so that scores differ.
  const share = sql`(abs(hashtext(s.account_id::text)) % 10)`;
  await db.execute(
    sql`insert into accounts (id, name) select gen_random_uuid(), 'bench-member-' || g from generate_series(1, ${MEMBERS}) g`,
  );
  await db.execute(
    sql`insert into directory_accounts (account_id, directory_id, joined_via) select a.id, ${directoryId}, 'created' from accounts a where ${member}`,
  );
  await db.execute(
    sql`insert into managed_members (account_id, directory_id, added_by) select a.id, ${directoryId}, 'bench' from accounts a where ${member}`,
  );
  await db.execute(sql`insert into assets (id, account_id, instance_id, name, hostname, os_family)
    select gen_random_uuid(), a.id, 'i-' || g, 'host-' || g, 'host-' || g || '.bench', case when g % 7 = 0 then 'windows' else 'linux' end
    from accounts a cross join generate_series(1, ${ASSETS_PER_MEMBER}) g where ${member}`);
  await db.execute(sql`insert into vulnerabilities (id, account_id, asset_id, type, name, title, severity, status)
    select gen_random_uuid(), s.account_id, s.id, (array['linux','windows','webcms','app','emergency'])[1 + g % 5], 'V-' || g, 'bench vulnerability',
      (array['critical','high','medium','low'])[1 + (g + length(s.instance_id)) % 4],
      case when g % 10 < ${share} then 'open' when g % 10 = 9 then 'fixing' else 'fixed' end
    from assets s cross join generate_series(1, 6) g`);
  await db.execute(sql`insert into alerts (id, account_id, asset_id, external_id, name, severity, status, occurred_at)
    select gen_random_uuid(), s.account_id, s.id, 'al-' || s.instance_id || '-' || g, 'bench alert',
      (array['critical','high','medium','low'])[1 + (g + length(s.instance_id)) % 4],
      case when (g * 3 + length(s.instance_id)) % 10 < ${share} then 'unhandled' else 'handled' end, now()
    from assets s cross join generate_series(1, 2) g`);
  await db.execute(sql`insert into baseline_risks (id, account_id, asset_id, check_name, severity, status)
    select gen_random_uuid(), s.account_id, s.id, 'check-' || g, (array['high','medium','low','medium'])[1 + g % 4],
      case when (g * 7 + length(s.instance_id)) % 10 < ${share} then 'unhandled' else 'handled' end
    from assets s cross join generate_series(1, 2) g`);
  const seedMs = performance.now() - t0;
  await db.execute(sql`vacuum analyze`);
  const [counts] = await db
    .select({
      assets: sql<number>`(select count(*)::int from assets)`,
      vulnerabilities: sql<number>`(select count(*)::int from vulnerabilities)`,
      alerts: sql<number>`(select count(*)::int from alerts)`,
      baselineRisks: sql<number>`(select count(*)::int from baseline_risks)`,
    })
    .from(sql`(select 1) as one`);
  return { ...counts, seedMs: Math.round(seedMs) } as Record<string, number>;
}

/**
 * The baseline: what the overview cost before `risk_counts` — counting each member's open findings with GROUP BY
 * over the findings tables (the pre-0012 query) — against `directoryOverview` now, in-process, alternating.
 */
async function queryBaseline(db: DatabaseHandle['db'], directoryId: string) {
  const members = sql`(select account_id from managed_members where directory_id = ${directoryId})`;
  const direct = () =>
    Promise.all([
      db.execute(sql`select account_id, severity, count(*) from alerts
        where account_id in ${members} and status = 'unhandled' group by 1, 2`),
      db.execute(sql`select account_id, severity, count(*) from vulnerabilities
        where account_id in ${members} and status in ('open', 'fixing') group by 1, 2`),
      db.execute(sql`select account_id, severity, count(*) from baseline_risks
        where account_id in ${members} and status = 'unhandled' group by 1, 2`),
    ]);
  const counts: number[] = [];
  const directMs: number[] = [];
  for (let i = 0; i < 40; i++) {
    let t = performance.now();
    await directoryOverview(db, directoryId);
    counts.push(performance.now() - t);
    t = performance.now();
    await direct();
    directMs.push(performance.now() - t);
  }
  const p50 = (xs: number[]) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    );
  return {
    iterations: 40,
    riskCountsP50Ms: p50(counts),
    directCountBaselineP50Ms: p50(directMs),
    speedup: Math.round((p50(directMs) / p50(counts)) * 10) / 10,
  };
}

async function overviewBench(driver: 'pglite' | 'postgres') {
  const { handle, drop } = await openBenchDatabase(driver);
  try {
    // The overview never calls Temporal; a lazy client connects to nothing.
    const services = benchServices(handle, new Client());
    const { account, adminKey } = await createAccount(handle.db, { name: 'bench management' });
    const directory = await enableDirectory(handle.db, {
      by: { accountId: account.id, actor: 'system:bench' },
      name: 'bench',
    });
    const seeded = await seed(handle, directory.id);
    const queries = await queryBaseline(handle.db, directory.id);
    const server = await listen(createApp(services));
    const headers = { authorization: `Bearer ${adminKey.key}` };
    const get = async (path: string) => {
      const t = performance.now();
      const res = await fetch(`${server.base}${path}`, { headers });
      const body = (await res.json()) as { items?: { score: number }[]; nextCursor?: string | null };
      if (res.status !== 200) throw new Error(`overview failed: ${res.status} ${JSON.stringify(body)}`);
      return { ms: performance.now() - t, body };
    };
    for (let i = 0; i < 5; i++) await get('/v1/multi-account/overview?limit=50'); // warm-up
    const first = await get('/v1/multi-account/overview?limit=50');
    const cursor = first.body.nextCursor ?? '';
    const { latencies, wallMs } = await concurrentLoad(
      `GET /v1/multi-account/overview (${driver})`,
      REQUESTS,
      CONCURRENCY,
      // Alternate the first page and a later page (the cursor path).
      async (i) => (await get(`/v1/multi-account/overview?limit=50${i % 2 ? `&cursor=${cursor}` : ''}`)).ms,
    );
    // The score explained (GET /members/{id}/score) of the members on the first page, riskiest first.
    const memberIds = (first.body.items ?? []).map((r) => (r as { accountId?: string }).accountId ?? '');
    const scoreMs: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t = performance.now();
      const res = await fetch(
        `${server.base}/v1/multi-account/members/${memberIds[i % memberIds.length]}/score`,
        {
          headers,
        },
      );
      if (res.status !== 200) throw new Error(`score failed: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
      scoreMs.push(performance.now() - t);
    }
    scoreMs.sort((a, b) => a - b);
    await server.close();
    latencies.sort((a, b) => a - b);
    const scores = first.body.items?.map((r) => r.score) ?? [];
    return {
      seeded: { members: MEMBERS, ...seeded },
      overview: {
        requests: REQUESTS,
        concurrency: CONCURRENCY,
        pageSize: 50,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        maxMs: percentile(latencies, 100),
        requestsPerSecond: Math.round(REQUESTS / (wallMs / 1000)),
        lowestScores: scores.slice(0, 5),
      },
      scoreExplained: {
        requests: REQUESTS,
        p50Ms: percentile(scoreMs, 50),
        p99Ms: percentile(scoreMs, 99),
      },
      queries,
    };
  } finally {
    await drop();
  }
}

/** Ingestion through `ingestVulnerabilities` (1,000 per request) with and without the risk-count triggers. */
async function ingestBench() {
  const { handle, drop } = await openBenchDatabase('postgres');
  const BATCHES = 10;
  const PER_BATCH = 1000;
  try {
    const { db } = handle;
    const phases = async (label: string) => {
      const { account } = await createAccount(db, { name: `ingest ${label}` });
      await db.execute(sql`insert into assets (id, account_id, instance_id, name, hostname, os_family)
        select gen_random_uuid(), ${account.id}, 'i-' || g, 'host-' || g, 'host-' || g, 'linux' from generate_series(1, 100) g`);
      const assetIds = (
        await db.select({ id: assets.id }).from(assets).where(eq(assets.accountId, account.id))
      ).map((r) => r.id);
      const batch = (b: number, status: 'open' | 'fixed') =>
        Array.from({ length: PER_BATCH }, (_, i) => ({
          assetId: assetIds[i % assetIds.length] ?? '',
          type: 'linux' as const,
          name: `USN-${b}-${i}`,
          title: 'bench',
          cveIds: [],
          severity: SEVERITIES[i % SEVERITIES.length] ?? 'low',
          fixable: false,
          status,
        }));
      const timed = async (status: 'open' | 'fixed') => {
        const ms: number[] = [];
        for (let b = 0; b < BATCHES; b++) {
          const t = performance.now();
          await ingestVulnerabilities(db, account.id, batch(b, status));
          ms.push(performance.now() - t);
        }
        ms.sort((x, y) => x - y);
        return percentile(ms, 50);
      };
      return {
        insertP50Ms: await timed('open'),
        unchangedP50Ms: await timed('open'),
        fixedP50Ms: await timed('fixed'),
      };
    };
    await db.execute(sql`alter table vulnerabilities disable trigger user`);
    await phases('warm-up'); // discarded: the first account pays for cold caches and plans
    const baseline = await phases('baseline');
    await db.execute(sql`alter table vulnerabilities enable trigger user`);
    const withTriggers = await phases('triggers');
    const ratio = (k: keyof typeof baseline) => Math.round((withTriggers[k] / baseline[k]) * 100) / 100;
    return {
      batches: BATCHES,
      perBatch: PER_BATCH,
      baselineNoTriggers: baseline,
      withTriggers,
      ratio: { insert: ratio('insertP50Ms'), unchanged: ratio('unchangedP50Ms'), fixed: ratio('fixedP50Ms') },
    };
  } finally {
    await drop();
  }
}

async function rolloutBench() {
  const cliPath = await ensureTemporalCli({ log: (l) => process.stderr.write(`[temporal-cli] ${l}\n`) });
  const dev = await startDevServer({ cliPath, headless: true, log: (l) => process.stderr.write(`${l}\n`) });
  const temporal = await connectTemporalClient({ address: dev.address, namespace: dev.namespace });
  const { handle, drop } = await openBenchDatabase('postgres');
  const agents: RunningAgent[] = [];
  try {
    const services = benchServices(handle, temporal.client, {
      VIGIL_TASK_QUEUE_PREFIX: `bench-${randomToken(6)}`,
    });
    const workers = await createWorkers({
      deps: services,
      address: dev.address,
      namespace: dev.namespace,
      shutdownGraceTime: '1s',
    });
    void workers.run();
    const server = await listen(createApp(services));
    const api = async (method: string, path: string, key: string, body?: unknown) => {
      const send = () =>
        fetch(`${server.base}${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      // An overloaded loopback may reset a kept-alive socket; a read is safe to repeat.
      let res = await send().catch((err: unknown) => (method === 'GET' ? null : Promise.reject(err)));
      for (let attempt = 1; !res && attempt < 5; attempt++) res = await send().catch(() => null);
      if (!res) throw new Error(`${method} ${path}: no response after 5 attempts`);
      const json = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(json)}`);
      return json;
    };
    const { adminKey } = await createAccount(handle.db, { name: 'bench management' });
    const mgmtKey = adminKey.key;
    await api('POST', '/v1/resource-directory', mgmtKey, { name: 'bench' });
    await api('PUT', '/v1/multi-account/auto-add', mgmtKey, { enabled: true });
    const member = await api('POST', '/v1/resource-directory/accounts', mgmtKey, { name: 'fleet member' });
    const memberId = member.id as string;
    const token = (await api('POST', '/v1/agent-enrollment-tokens', member.adminKey as string, {}))
      .token as string;

    const enrolled = progress(`enroll ${AGENTS} simulated agents`, AGENTS);
    const tEnroll = performance.now();
    for (let i = 0; i < AGENTS; i += 50) {
      const batch = Array.from({ length: Math.min(50, AGENTS - i) }, (_, j) => {
        const n = i + j;
        const agent = startAgent({
          server: server.base,
          enrollToken: token,
          executor: 'simulate',
          executorOptions: { latencyMs: 20, seed: n },
          stateDir: null,
          identity: { hostname: `fleet-${n}`, instanceId: `i-fleet-${n}`, osFamily: 'linux', ips: [] },
          pollWaitSeconds: 25,
          heartbeatIntervalMs: 2_000,
          backoff: { baseMs: 200, maxMs: 5_000 },
        });
        agents.push(agent);
        agent.done.catch((err: unknown) =>
          process.stderr.write(`agent fleet-${n} stopped: ${String(err)}\n`),
        );
        return agent.ready.then(() => enrolled.tick());
      });
      await Promise.all(batch);
    }
    enrolled.done();
    const enrollMs = performance.now() - tEnroll;

    const converge = async (protectionMode: 'protectionFirst' | 'businessFirst') => {
      const t = performance.now();
      const saved = await api(
        'PUT',
        `/v1/multi-account/members/${memberId}/settings`,
        mgmtKey,
        settingsWithMode(protectionMode),
      );
      const bar = progress(`rollout revision ${String(saved.revision)} to ${AGENTS} agents`, AGENTS);
      let shown = 0;
      for (;;) {
        const s = await api('GET', `/v1/multi-account/members/${memberId}/settings`, mgmtKey);
        const rollout = s.rollout as { status: string; applied: number };
        bar.tick(rollout.applied - shown);
        shown = Math.max(shown, rollout.applied);
        if (rollout.status === 'converged' && rollout.applied === AGENTS) break;
        if (performance.now() - t > 600_000)
          throw new Error(`rollout did not converge: ${JSON.stringify(rollout)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      bar.done();
      return Math.round(performance.now() - t);
    };
    const firstMs = await converge('protectionFirst');
    process.stderr.write(`revision 1 converged on ${AGENTS} agents in ${firstMs} ms\n`);
    const secondMs = await converge('businessFirst');
    process.stderr.write(`revision 2 converged on ${AGENTS} agents in ${secondMs} ms\n`);
    await Promise.all(agents.map((a) => a.stop()));
    await server.close();
    await workers.shutdown();
    return {
      agents: AGENTS,
      enrollMs: Math.round(enrollMs),
      convergeMs: { revision1: firstMs, revision2: secondMs },
      agentsPerSecond: Math.round(AGENTS / (Math.min(firstMs, secondMs) / 1000)),
    };
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    await drop();
    await temporal.close();
    await dev.stop();
  }
}

const result: Record<string, unknown> = {
  bench: 'multi-account',
  node: process.version,
  loadAverage: os.loadavg(),
  cpus: os.cpus().length,
};
if (!args.includes('--skip-overview')) {
  try {
    result.postgres = await overviewBench('postgres');
  } catch (err) {
    result.postgres = {
      skipped: `Postgres at ${PG_URL.replace(/\/\/[^@]*@/, '//')} unavailable: ${(err as Error).message}`,
    };
  }
}
if (!args.includes('--skip-ingest')) result.ingest = await ingestBench();
if (!args.includes('--skip-pglite')) result.pglite = await overviewBench('pglite');
if (!args.includes('--skip-rollout')) result.rollout = await rolloutBench();
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
