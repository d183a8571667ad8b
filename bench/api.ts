import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { Logger } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { createAccount } from '../services/accounts/create-account.js';
import { encodeCursor } from '../api/pagination.js';
import { migrationsFolder, type Database, type DatabaseHandle } from '../db/client.js';
import type { VulnerabilityRow } from '../db/inventory/finding-upserts.js';
import * as schema from '../db/schema/index.js';
import { errorMessage } from '../domain/errors.js';
import { uuidv7 } from '../domain/ids.js';
import { offlineApp } from './offline-app.js';
import { percentile, progress, round } from './progress.js';
import {
  accountStatements,
  assetStatements,
  directoryStatements,
  sizeAt,
  uuid7Function,
} from './api/seed.js';

/**
 * API read paths at fleet scale (issue 17). Seeds 100,000 assets, 1,000,000 vulnerabilities, 100,000 alerts, 1,000
 * playbook tasks with 50 log lines each and a year of audit rows (× --scale) in a fresh Postgres database, and a tenth
 * of that in PGlite; drives every list and detail endpoint over loopback HTTP at --concurrency; and in the same run
 * replays the exact SQL each request issued (captured from Drizzle's logger) straight through postgres.js (or the
 * PGlite client) as the floor. Then ingests vulnerabilities through `POST /v1/vulnerabilities`, 10,000 per request,
 * each request beside the same rows through one plain upsert statement (the ingest floor).
 * Prints one JSON object; EXPLAIN (ANALYZE, BUFFERS) of the slowest endpoints' slowest statement is in it.
 *
 * `npx tsx bench/api.ts [--scale 1] [--only postgres|pglite] [--requests 480] [--concurrency 16] [--ingest N]`
 */
const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? dflt) : dflt;
};
const SCALE = Number(arg('scale', '1'));
const ONLY = arg('only', 'both');
const REQUESTS = Number(arg('requests', '480'));
const CONCURRENCY = Number(arg('concurrency', '16'));
const INGEST = arg('ingest', '');
const PG_URL =
  process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Captured {
  sql: string;
  params: unknown[];
}
/** Statements issued while a capture is open (the bench captures one request at a time, with nothing else running). */
let capture: Captured[] | null = null;
const recorder: Logger = {
  logQuery(sql, params) {
    capture?.push({ sql, params });
  },
};

/** Runs raw SQL with parameters on the bench's floor client; returns rows. */
type Raw = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

interface Target {
  handle: DatabaseHandle;
  /** The floor: the same statements without HTTP, Hono, zod or Drizzle. */
  raw: Raw;
  /** Many statements in one round trip, for seeding. */
  exec: (sql: string) => Promise<void>;
  drop: () => Promise<void>;
}

async function postgresTarget(): Promise<Target> {
  const name = `vigil_bench_${process.pid}`;
  const admin = postgres(PG_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const client = postgres(url.toString(), { max: 20, onnotice: () => undefined });
  const db = drizzlePostgres({ client, schema, casing: 'snake_case', logger: recorder });
  const floor = postgres(url.toString(), { max: 20, prepare: true, onnotice: () => undefined });
  return {
    handle: {
      db: db as unknown as Database,
      driver: 'postgres',
      migrate: () => migratePostgres(db, { migrationsFolder }),
      close: () => client.end({ timeout: 5 }),
    },
    raw: async (sql, params = []) =>
      [
        ...(await floor.unsafe(sql, params as postgres.ParameterOrJSON<never>[], { prepare: true })),
      ] as Record<string, unknown>[],
    exec: async (sql) => {
      await floor.unsafe(sql);
    },
    drop: async () => {
      await floor.end({ timeout: 5 });
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

async function pgliteTarget(): Promise<Target> {
  const client = await PGlite.create('memory://', { extensions: { pg_trgm } });
  const db = drizzlePglite({ client, schema, casing: 'snake_case', logger: recorder });
  return {
    handle: {
      db: db as unknown as Database,
      driver: 'pglite',
      migrate: () => migratePglite(db, { migrationsFolder }),
      close: () => client.close(),
    },
    raw: async (sql, params = []) => (await client.query<Record<string, unknown>>(sql, params)).rows,
    exec: async (sql) => {
      await client.exec(sql);
    },
    drop: async () => undefined,
  };
}

async function seed(target: Target, accountId: string, memberIds: string[], scale: number) {
  const size = sizeAt(scale);
  const t0 = Date.now() - 366 * 86_400_000;
  const memberSize = { ...size, assets: 100, tasks: 10, auditPerDay: 10 };
  const statements = [
    ...assetStatements(accountId, size, t0),
    ...accountStatements(accountId, size, t0),
    ...memberIds.flatMap((m, i) => assetStatements(m, memberSize, t0 + i * 1000)),
    ...directoryStatements(accountId, memberIds, t0),
  ];
  const total = statements.reduce((n, s) => n + s.rows, 0);
  const bar = progress(`seed ${total} rows (${target.handle.driver})`, total);
  const started = performance.now();
  await target.exec(uuid7Function);
  for (const s of statements) {
    try {
      await target.exec(s.sql);
    } catch (err) {
      throw new Error(`seeding ${s.label} failed: ${errorMessage(err)}`, { cause: err });
    }
    bar.tick(s.rows);
  }
  await target.exec('ANALYZE');
  bar.done();
  return { rows: total, seconds: round((performance.now() - started) / 1000), size };
}

interface Endpoint {
  name: string;
  /** URLs the requests cycle through (realistic variety: different ids, terms, cursors). */
  urls: string[];
}

async function endpoints(target: Target, accountId: string, memberIds: string[], scale: number) {
  const one = async <T>(sql: string, params: unknown[] = []) => (await target.raw(sql, params))[0] as T;
  const ids = async (sql: string, params: unknown[] = []) =>
    (await target.raw(sql, params)).map((r) => String(r.id));
  const a = accountId;
  const size = sizeAt(scale);
  const sampleAssets = await ids(
    'SELECT id FROM assets WHERE account_id = $1 ORDER BY md5(id::text) LIMIT 64',
    [a],
  );
  const deep = async (table: string, order: 'asc' | 'desc', where = '') => {
    const { n } = await one<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${table} WHERE account_id = $1 ${where}`,
      [a],
    );
    const r = await ids(
      `SELECT id FROM ${table} WHERE account_id = $1 ${where} ORDER BY id ${order} OFFSET $2 LIMIT 3`,
      [a, Math.floor(n * 0.9)],
    );
    return r.map((id) => encodeURIComponent(encodeCursor(id)));
  };
  const group = await one<{ id: string }>(
    "SELECT id FROM asset_groups WHERE account_id = $1 AND name = 'rack-7'",
    [a],
  );
  const tasks = await ids(
    'SELECT id FROM playbook_tasks WHERE account_id = $1 ORDER BY md5(id::text) LIMIT 16',
    [a],
  );
  const reportIds = await ids('SELECT id FROM reports WHERE account_id = $1', [a]);
  const taskLogDeep = await Promise.all(
    tasks.slice(0, 4).map(async (t) => {
      const [r] = await ids(
        `SELECT id FROM playbook_task_logs WHERE task_id = $1 ORDER BY id OFFSET ${Math.floor(size.logsPerTask * 0.8)} LIMIT 1`,
        [t],
      );
      return `/v1/playbook/tasks/${t}/logs?limit=5&cursor=${encodeURIComponent(encodeCursor(r ?? t))}`;
    }),
  );
  // Searches: one host (exact name), about a hundred (a hostname prefix), an IP, nothing, and a typo.
  const prefixDigits = String(size.assets - 1).length - 2;
  const hundred = `host-${'4242424'.slice(0, Math.max(1, prefixDigits))}`;
  const oneHost = `web-${String(Math.min(4240, size.assets - 5)).padStart(6, '0')}`;
  const list: Endpoint[] = [
    { name: 'assets', urls: ['/v1/assets?limit=50'] },
    {
      name: 'assets deep cursor',
      urls: (await deep('assets', 'asc')).map((c) => `/v1/assets?limit=50&cursor=${c}`),
    },
    {
      name: 'assets by group/os/agent',
      urls: [`/v1/assets?groupId=${group.id}`, '/v1/assets?os=windows', '/v1/assets?agentStatus=online'],
    },
    { name: 'assets search one host', urls: [`/v1/assets?search=${oneHost}`] },
    { name: 'assets search ~100 hosts', urls: [`/v1/assets?search=${hundred}`] },
    { name: 'assets search IP', urls: ['/v1/assets?search=10.0.16.146'] },
    { name: 'assets search none', urls: ['/v1/assets?search=zzz-nothing'] },
    // A typo no name contains: the fuzzy (trigram similarity) fallback with candidates to rank ("none" reaches it too).
    {
      name: 'assets search typo (fuzzy)',
      urls: [`/v1/assets?search=${oneHost.replace(/^(\w)(\w)/, '$2$1')}`],
    },
    { name: 'asset detail', urls: sampleAssets.map((id) => `/v1/assets/${id}`) },
    { name: 'vulnerabilities', urls: ['/v1/vulnerabilities?limit=50'] },
    {
      name: 'vulnerabilities deep cursor',
      urls: (await deep('vulnerabilities', 'asc')).map((c) => `/v1/vulnerabilities?limit=50&cursor=${c}`),
    },
    {
      name: 'vulnerabilities by severity/status',
      urls: [
        '/v1/vulnerabilities?severity=critical',
        '/v1/vulnerabilities?status=open',
        '/v1/vulnerabilities?status=open&severity=critical',
        '/v1/vulnerabilities?status=ignored&severity=low',
      ],
    },
    {
      name: 'vulnerabilities critical deep cursor',
      urls: (await deep('vulnerabilities', 'asc', "AND severity = 'critical'")).map(
        (c) => `/v1/vulnerabilities?severity=critical&cursor=${c}`,
      ),
    },
    { name: 'vulnerabilities by asset', urls: sampleAssets.map((id) => `/v1/vulnerabilities?assetId=${id}`) },
    { name: 'alerts', urls: ['/v1/alerts?limit=50', '/v1/alerts?status=unhandled&severity=high'] },
    { name: 'alerts deep cursor', urls: (await deep('alerts', 'asc')).map((c) => `/v1/alerts?cursor=${c}`) },
    { name: 'alerts by asset', urls: sampleAssets.map((id) => `/v1/alerts?assetId=${id}`) },
    { name: 'tasks', urls: ['/v1/playbook/tasks', '/v1/playbook/tasks?status=Failed'] },
    { name: 'task detail', urls: tasks.map((t) => `/v1/playbook/tasks/${t}`) },
    { name: 'task logs', urls: tasks.map((t) => `/v1/playbook/tasks/${t}/logs`) },
    { name: 'task logs deep cursor', urls: taskLogDeep },
    { name: 'audit log', urls: ['/v1/audit-log'] },
    {
      name: 'audit log deep cursor',
      urls: (await deep('audit_log', 'desc')).map((c) => `/v1/audit-log?cursor=${c}`),
    },
    {
      name: 'audit log by action/target',
      urls: ['/v1/audit-log?action=report.update', '/v1/audit-log?targetId=target-42'],
    },
    { name: 'reports', urls: ['/v1/reports'] },
    { name: 'report detail', urls: reportIds.map((id) => `/v1/reports/${id}`) },
    { name: 'member risks', urls: memberIds.map((id) => `/v1/multi-account/members/${id}/risks`) },
    { name: 'multi-account overview', urls: ['/v1/multi-account/overview'] },
  ];
  return list;
}

interface Figures {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  requestsPerSecond: number;
}

async function drive(label: string, count: number, run: (i: number) => Promise<void>): Promise<Figures> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        await run(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const wall = performance.now() - started;
  latencies.sort((x, y) => x - y);
  void label;
  return {
    requests: count,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    requestsPerSecond: Math.round(count / (wall / 1000)),
  };
}

async function readBench(target: Target, scale: number, requests: number) {
  const { handle } = target;
  await handle.migrate();
  const { app, adminKey, account } = await offlineApp(handle);
  const members = await Promise.all(
    [1, 2, 3, 4, 5].map(async (i) => (await createAccount(handle.db, { name: `member ${i}` })).account.id),
  );
  const seeded = await seed(target, account.id, members, scale);
  const headers = { authorization: `Bearer ${adminKey.key}` };
  let resets = 0;
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    if ('keepAliveTimeout' in s) s.keepAliveTimeout = 65_000;
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = async (url: string) => {
    const res = await fetch(base + url, { headers }).catch(async (err: unknown) => {
      // A reset keep-alive socket under heavy load: count it and try once more on a fresh connection.
      resets++;
      if (resets > 20) throw err;
      return fetch(base + url, { headers });
    });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${body.slice(0, 300)}`);
    return body;
  };
  const list = await endpoints(target, account.id, members, scale);
  const results: Record<string, unknown> = {};
  const slow: { name: string; p99: number; statement: Captured }[] = [];
  const bar = progress(`endpoints (${handle.driver})`, list.length);
  for (const ep of list) {
    // Warm up, then capture each URL's statements once, alone.
    const perUrl: Captured[][] = [];
    const slowest: { ms: number; statement?: Captured } = { ms: -1 };
    for (const url of ep.urls) {
      await get(url);
      capture = [];
      await get(url);
      const statements = capture;
      capture = null;
      perUrl.push(statements);
      for (const s of statements) {
        const t = performance.now();
        await target.raw(s.sql, s.params);
        const ms = performance.now() - t;
        if (ms > slowest.ms) Object.assign(slowest, { ms, statement: s });
      }
    }
    const sample = JSON.parse(await get(ep.urls[0] ?? '')) as { items?: unknown[] };
    const api = await drive(ep.name, requests, async (i) => {
      await get(ep.urls[i % ep.urls.length] ?? '');
    });
    const floor = await drive(`${ep.name} floor`, requests, async (i) => {
      for (const s of perUrl[i % perUrl.length] ?? []) await target.raw(s.sql, s.params);
    });
    results[ep.name] = {
      api,
      floor,
      ratioP50: round(api.p50Ms / Math.max(0.01, floor.p50Ms)),
      ratioP99: round(api.p99Ms / Math.max(0.01, floor.p99Ms)),
      statementsPerRequest: perUrl[0]?.length ?? 0,
      itemsOnFirstUrl: sample.items?.length ?? null,
    };
    if (slowest.statement) slow.push({ name: ep.name, p99: api.p99Ms, statement: slowest.statement });
    bar.tick();
  }
  bar.done();
  slow.sort((x, y) => y.p99 - x.p99);
  const explain: Record<string, string[]> = {};
  for (const s of slow.slice(0, 4)) {
    const rows = await target.raw(`EXPLAIN (ANALYZE, BUFFERS) ${s.statement.sql}`, s.statement.params);
    explain[s.name] = rows.map((r) => String(Object.values(r)[0]));
  }
  return { seeded, endpoints: results, explain, resets, server, base, headers, accountId: account.id };
}

/**
 * 10,000 new vulnerabilities per request onto the seeded assets, sequentially; then one pass re-reporting them. Each
 * request is followed by its floor: the same rows (under another name, so the floor's insert pass inserts too)
 * through one plain `INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE` on the bench's postgres.js client — no
 * HTTP, JSON, zod, asset check, Drizzle or audit row; the same table, indexes and triggers.
 */
async function ingestBench(
  target: Target,
  ctx: { base: string; headers: Record<string, string>; accountId: string },
  rows: number,
) {
  const assetIds = (
    await target.raw('SELECT id FROM assets WHERE account_id = $1 ORDER BY id', [ctx.accountId])
  ).map((r) => String(r.id));
  const perRequest = 10_000;
  const requests = Math.max(1, Math.ceil(rows / perRequest));
  const items = (r: number, pass: number, prefix: string) =>
    Array.from({ length: perRequest }, (_, k) => {
      const n = r * perRequest + k;
      return {
        assetId: assetIds[n % assetIds.length] ?? '',
        type: 'linux',
        name: `${prefix}-${Math.floor(n / assetIds.length)}`,
        title: `ingested ${pass}`,
        cveIds: [`CVE-2025-${1000 + (n % 9000)}`],
        severity: ['critical', 'high', 'medium', 'low'][n % 4] ?? 'low',
        fixable: true,
        packageName: 'openssl',
        installedVersion: '3.0.1',
        fixedVersion: '3.0.2',
      };
    });
  const run = async (pass: number, count: number) => {
    const bar = progress(`ingest pass ${pass} (${target.handle.driver})`, count);
    let apiMs = 0;
    let floorMs = 0;
    for (let r = 0; r < count; r++) {
      const payload = JSON.stringify({ items: items(r, pass, 'BENCH') });
      let t = performance.now();
      const res = await fetch(`${ctx.base}/v1/vulnerabilities`, {
        method: 'POST',
        headers: { ...ctx.headers, 'content-type': 'application/json' },
        body: payload,
      });
      const text = await res.text();
      apiMs += performance.now() - t;
      if (res.status !== 200) throw new Error(`ingest: ${res.status} ${text.slice(0, 300)}`);
      const floorRows = items(r, pass, 'FLOOR');
      t = performance.now();
      await target.raw(FLOOR_UPSERT, floorParameters(ctx.accountId, floorRows));
      floorMs += performance.now() - t;
      bar.tick();
    }
    bar.done();
    const rate = (ms: number) => Math.round((count * perRequest) / (ms / 1000));
    return {
      rows: count * perRequest,
      requests: count,
      seconds: round(apiMs / 1000),
      rowsPerSecond: rate(apiMs),
      floorRowsPerSecond: rate(floorMs),
      ratio: round(apiMs / Math.max(0.01, floorMs)),
    };
  };
  const insert = await run(1, requests);
  const update = await run(2, Math.min(requests, 10));
  return { perRequest, insert, reupsert: update };
}

/** The ingest floor's statement: the application's upsert, minus everything around it (see ingestBench). */
const FLOOR_UPSERT = `INSERT INTO vulnerabilities AS v (id, account_id, asset_id, type, name, title, cve_ids, severity,
    fixable, package_name, installed_version, fixed_version, status, first_seen_at, last_seen_at, latest_scan_at)
  SELECT id, $1::uuid, asset_id, type, name, title, ARRAY[cve], severity, fixable, package_name,
    installed_version, fixed_version, 'open', now(), now(), now()
  FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::boolean[],
    $10::text[], $11::text[], $12::text[]) AS x(id, asset_id, type, name, title, cve, severity, fixable, package_name,
    installed_version, fixed_version)
  ON CONFLICT (account_id, asset_id, type, name) DO UPDATE SET title = excluded.title, cve_ids = excluded.cve_ids,
    severity = excluded.severity, fixable = excluded.fixable, package_name = excluded.package_name,
    installed_version = excluded.installed_version, fixed_version = excluded.fixed_version,
    last_seen_at = excluded.last_seen_at, latest_scan_at = excluded.latest_scan_at, updated_at = now()`;

/** The floor's parameters: the account, then one array literal per column (the bench's rows need no quoting). */
function floorParameters(
  accountId: string,
  rows: Pick<
    VulnerabilityRow,
    | 'assetId'
    | 'type'
    | 'name'
    | 'title'
    | 'cveIds'
    | 'severity'
    | 'fixable'
    | 'packageName'
    | 'installedVersion'
    | 'fixedVersion'
  >[],
): string[] {
  const element = (v: string | null) => (v === null ? 'NULL' : `"${v}"`);
  const column = (f: (row: (typeof rows)[number]) => string | null) =>
    `{${rows.map((row) => element(f(row))).join(',')}}`;
  return [
    accountId,
    column(() => uuidv7()),
    column((x) => x.assetId),
    column((x) => x.type),
    column((x) => x.name),
    column((x) => x.title),
    column((x) => x.cveIds[0] ?? ''),
    column((x) => x.severity),
    column((x) => (x.fixable ? 't' : 'f')),
    column((x) => x.packageName),
    column((x) => x.installedVersion),
    column((x) => x.fixedVersion),
  ];
}

async function runOn(driver: 'postgres' | 'pglite') {
  const scale = driver === 'postgres' ? SCALE : SCALE / 10;
  const target = driver === 'postgres' ? await postgresTarget() : await pgliteTarget();
  try {
    const reads = await readBench(target, scale, driver === 'postgres' ? REQUESTS : Math.ceil(REQUESTS / 2));
    try {
      const ingestRows = INGEST ? Number(INGEST) : Math.round(1_000_000 * scale);
      const ingest = ingestRows > 0 ? await ingestBench(target, reads, ingestRows) : null;
      return {
        scale,
        seeded: reads.seeded,
        endpoints: reads.endpoints,
        connectionResets: reads.resets,
        ingest,
        explain: reads.explain,
      };
    } finally {
      if ('closeAllConnections' in reads.server) reads.server.closeAllConnections();
      await new Promise<void>((resolve) => reads.server.close(() => resolve()));
    }
  } finally {
    await target.handle.close();
    await target.drop();
  }
}

const result: Record<string, unknown> = {
  bench: 'api',
  node: process.version,
  concurrency: CONCURRENCY,
  requestsPerEndpoint: REQUESTS,
};
for (const driver of ['postgres', 'pglite'] as const) {
  if (ONLY !== 'both' && ONLY !== driver) continue;
  try {
    result[driver] = await runOn(driver);
  } catch (err) {
    result[driver] = {
      failed: `${driver === 'postgres' ? PG_URL.replace(/\/\/[^@]*@/, '//') : 'PGlite'}: ${errorMessage(err)}`,
    };
  }
  // Each driver's figures as soon as they exist, so a later failure loses nothing.
  process.stderr.write(`[bench/api] ${driver}: ${JSON.stringify(result[driver])}\n`);
}
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
// The offline app's services keep timers (rate-limit buckets, caches) that are not the bench's to stop.
process.exit(0);
