import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeCursor } from '../api/pagination.js';
import type { VulnerabilityRow } from '../db/inventory/finding-upserts.js';
import { errorMessage } from '../domain/errors.js';
import { uuidv7 } from '../domain/ids.js';
import { forkRpc, type Forked } from './ipc.js';
import { progress, round } from './progress.js';
import { drive, type Figures } from './api/drive.js';
import { sizeAt } from './api/seed.js';
import type { ApiServerCalls, ApiServerInfo, Captured } from './api/server.js';

/**
 * API read paths at fleet scale (issue 17). Seeds 100,000 assets, 1,000,000 vulnerabilities, 100,000 alerts, 1,000
 * playbook tasks with 50 log lines each and a year of audit rows (× --scale) in a fresh Postgres database, and a tenth
 * of that in PGlite; drives every list and detail endpoint over loopback HTTP at --concurrency (each endpoint and its
 * floor after an uncounted warm-up at the same concurrency, bench/api/drive.ts); and in the same run
 * replays the exact SQL each request issued (captured from Drizzle's logger) straight through postgres.js (or the
 * PGlite client) as the floor. Then ingests vulnerabilities through `POST /v1/vulnerabilities`, 10,000 per request,
 * each request beside the same rows through one plain upsert statement (the ingest floor).
 * The API runs in a child process (bench/api/server.ts, `fork`) that owns the database, captures the SQL and replays
 * the floor; this process only generates the HTTP load, so its CPU and GC stay out of the API's figures. The child's
 * CPU time per request (`serverCpuMsPerRequest`) is the figure that survives a noisy machine.
 * Prints one JSON object; EXPLAIN (ANALYZE, BUFFERS) of the slowest endpoints' slowest statement is in it.
 *
 * `npx tsx bench/api.ts [--scale 1] [--only postgres|pglite] [--requests 480] [--concurrency 16] [--ingest N]
 * [--ingest-concurrency 2]`
 * With BENCH_API_CPU_PROF_DIR set, the API process writes one CPU profile per endpoint's measured load there.
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
const INGEST_CONCURRENCY = Number(arg('ingest-concurrency', '2'));
const PG_URL =
  process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const load = () => os.loadavg().map((l) => round(l));

type ApiServer = Forked<ApiServerCalls, { pid: number }>;

/** The API in a child process on a freshly seeded database (see bench/api/server.ts). */
async function forkApiServer(driver: 'postgres' | 'pglite', scale: number) {
  const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'api', 'serve-child.ts');
  const child: ApiServer = await forkRpc(entry, ['--driver', driver, '--postgres-url', PG_URL], {
    name: `bench api server (${driver})`,
    // The child's output (progress bars) goes to stderr: stdout is the bench's JSON.
    stdio: ['ignore', 2, 2, 'ipc'],
    // Captured statements' parameters (dates, bigints) cross the channel as they are.
    serialization: 'advanced',
  });
  try {
    return { child, info: await child.call('start', scale) };
  } catch (err) {
    await child.close();
    throw err;
  }
}

/** Rows of a statement, run in the server process on the floor client. */
type Query = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/** One endpoint's figures in the bench's output. */
interface EndpointFigures {
  api: Figures;
  floor: Figures;
  ratioP50: number;
  ratioP99: number;
  serverCpuMsPerRequest: number;
  loadGeneratorCpuMsPerRequest: number;
  statementsPerRequest: number;
  itemsOnFirstUrl: number | null;
}

interface Endpoint {
  name: string;
  /** URLs the requests cycle through (realistic variety: different ids, terms, cursors). */
  urls: string[];
}

async function endpoints(query: Query, accountId: string, memberIds: string[], scale: number) {
  const one = async <T>(sql: string, params: unknown[] = []) => (await query(sql, params))[0] as T;
  const ids = async (sql: string, params: unknown[] = []) =>
    (await query(sql, params)).map((r) => String(r.id));
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

async function readBench(server: ApiServer, info: ApiServerInfo, scale: number, requests: number) {
  const query: Query = (sql, params = []) => server.call('query', sql, params);
  const headers = { authorization: `Bearer ${info.adminKey}` };
  const { base } = info;
  let resets = 0;
  // The load generator is plain node:http on keep-alive sockets, one per concurrent loop: it shares the two cores with
  // the API and the database, and fetch (undici's WHATWG layer) cost 3x its CPU per request in an A/B (0.40-0.58 vs
  // 0.12-0.18 ms, both sides of a trivial 50-item JSON exchange in one process).
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const once = (url: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.get(base + url, { agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
    });
  const get = async (url: string) => {
    const res = await once(url).catch(async (err: unknown) => {
      // A reset keep-alive socket under heavy load: count it and try once more on a fresh connection.
      resets++;
      if (resets > 20) throw err;
      return once(url);
    });
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${res.body.slice(0, 300)}`);
    return res.body;
  };
  const list = await endpoints(query, info.accountId, info.memberIds, scale);
  const results: Record<string, EndpointFigures> = {};
  const slow: { name: string; p99: number; statement: Captured }[] = [];
  const bar = progress(`endpoints (${info.seeded.size.assets} assets)`, list.length);
  for (const ep of list) {
    // Warm up, then capture each URL's statements once, alone (the server keeps them for the floor).
    await server.call('endpointStart');
    let statementsPerRequest = -1;
    let slowest: { ms: number; statement: Captured | null } = {
      ms: -1,
      statement: null,
    };
    for (const url of ep.urls) {
      await get(url);
      await server.call('captureStart');
      await get(url);
      const captured = await server.call('captureEnd');
      if (statementsPerRequest < 0) statementsPerRequest = captured.statements;
      if (captured.slowestMs > slowest.ms) slowest = { ms: captured.slowestMs, statement: captured.slowest };
    }
    const sample = JSON.parse(await get(ep.urls[0] ?? '')) as { items?: unknown[] };
    await server.call('cpuStart', ep.name);
    const clientCpu0 = process.cpuUsage();
    const api = await drive(`${ep.name} api`, requests, CONCURRENCY, async (i) => {
      await get(ep.urls[i % ep.urls.length] ?? '');
    });
    const clientCpu = process.cpuUsage(clientCpu0);
    const serverCpuMs = await server.call('cpuEnd');
    // CPU figures cover the warm-up too: per request over every request sent.
    const sent = api.requests + api.warmup;
    const floor = await server.call('floor', ep.name, requests, CONCURRENCY);
    results[ep.name] = {
      api,
      floor,
      ratioP50: round(api.p50Ms / Math.max(0.01, floor.p50Ms)),
      ratioP99: round(api.p99Ms / Math.max(0.01, floor.p99Ms)),
      serverCpuMsPerRequest: round(serverCpuMs / sent),
      loadGeneratorCpuMsPerRequest: round((clientCpu.user + clientCpu.system) / 1000 / sent),
      statementsPerRequest: Math.max(0, statementsPerRequest),
      itemsOnFirstUrl: sample.items?.length ?? null,
    };
    if (slowest.statement) slow.push({ name: ep.name, p99: api.p99Ms, statement: slowest.statement });
    bar.tick();
  }
  bar.done();
  slow.sort((x, y) => y.p99 - x.p99);
  const explain: Record<string, string[]> = {};
  for (const s of slow.slice(0, 4)) {
    // A plan that cannot be shown is reported in its place; the run's figures stand without it.
    explain[s.name] = await server.call('explain', s.statement).then(
      (rows) => rows.map((r) => String(Object.values(r)[0])),
      (err: unknown) => [`EXPLAIN failed: ${errorMessage(err)}`],
    );
  }
  return { endpoints: results, explain, resets, base, headers };
}

/**
 * 10,000 new vulnerabilities per request onto the seeded assets: the first half of the rows one request at a time,
 * the second half `--ingest-concurrency` requests at once (scanners report side by side); then one pass re-reporting
 * some of them, one at a time. Each request (or group of requests sent together) is followed by its floor: the same
 * rows (under another name, so the floor's insert pass inserts too) through one plain
 * `INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE` per request on the bench's postgres.js client, as many at
 * once as the requests were — no HTTP, JSON, zod, Drizzle or audit row; the same table, indexes, triggers and
 * foreign keys (the (account, asset) key is the asset check of both).
 */
async function ingestBench(
  server: ApiServer,
  ctx: { base: string; headers: Record<string, string>; accountId: string; driver: string },
  rows: number,
) {
  const assetIds = (
    await server.call('query', 'SELECT id FROM assets WHERE account_id = $1 ORDER BY id', [ctx.accountId])
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
  const post = async (body: string) => {
    const res = await fetch(`${ctx.base}/v1/vulnerabilities`, {
      method: 'POST',
      headers: { ...ctx.headers, 'content-type': 'application/json' },
      body,
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`ingest: ${res.status} ${text.slice(0, 300)}`);
  };
  /** Requests `from` … `from + count - 1` of a pass, `concurrency` at a time. */
  const run = async (pass: number, from: number, count: number, concurrency: number) => {
    const bar = progress(`ingest pass ${pass} at ${concurrency} (${ctx.driver})`, count);
    let apiMs = 0;
    let floorMs = 0;
    let serverCpuMs = 0;
    for (let r = from; r < from + count; r += concurrency) {
      const group = Array.from({ length: Math.min(concurrency, from + count - r) }, (_, k) => r + k);
      const payloads = group.map((g) => JSON.stringify({ items: items(g, pass, 'BENCH') }));
      await server.call('cpuStart');
      const t = performance.now();
      await Promise.all(payloads.map(post));
      apiMs += performance.now() - t;
      serverCpuMs += await server.call('cpuEnd');
      const floorSets = group.map((g) => floorParameters(ctx.accountId, items(g, pass, 'FLOOR')));
      floorMs += await server.call('timed', FLOOR_UPSERT, floorSets);
      for (const _ of group) bar.tick();
    }
    bar.done();
    const rate = (ms: number) => Math.round((count * perRequest) / (ms / 1000));
    return {
      concurrency,
      rows: count * perRequest,
      requests: count,
      seconds: round(apiMs / 1000),
      rowsPerSecond: rate(apiMs),
      floorRowsPerSecond: rate(floorMs),
      ratio: round(apiMs / Math.max(0.01, floorMs)),
      serverCpuMsPerRequest: round(serverCpuMs / count),
    };
  };
  const sequential = Math.ceil(requests / 2);
  const insert = await run(1, 0, sequential, 1);
  const insertConcurrent =
    requests > sequential ? await run(1, sequential, requests - sequential, INGEST_CONCURRENCY) : null;
  const update = await run(2, 0, Math.min(requests, 10), 1);
  return { perRequest, insert, insertConcurrent, reupsert: update };
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

/** Issue 17's read targets against this run's figures: which endpoints meet them, and what each other one misses. */
function targetsOf(driver: 'postgres' | 'pglite', endpoints: Record<string, EndpointFigures>) {
  const p99Limit = driver === 'postgres' ? 20 : 50;
  const missed: Record<string, string[]> = {};
  const met: string[] = [];
  for (const [name, e] of Object.entries(endpoints)) {
    const misses: string[] = [];
    if (e.api.p99Ms >= p99Limit) misses.push(`p99 ${e.api.p99Ms} ms >= ${p99Limit}`);
    if (driver === 'postgres' && e.api.requestsPerSecond < 500)
      misses.push(`${e.api.requestsPerSecond} req/s < 500`);
    if (driver === 'postgres' && e.ratioP99 > 2) misses.push(`p99 ${e.ratioP99}x the floor's`);
    if (misses.length > 0) missed[name] = misses;
    else met.push(name);
  }
  return {
    rule:
      driver === 'postgres'
        ? 'p99 < 20 ms, >= 500 req/s, p99 within 2x the floor'
        : 'p99 < 50 ms (a tenth of the data)',
    met: `${met.length} of ${Object.keys(endpoints).length}`,
    missed,
  };
}

async function runOn(driver: 'postgres' | 'pglite') {
  const scale = driver === 'postgres' ? SCALE : SCALE / 10;
  const { child, info } = await forkApiServer(driver, scale);
  try {
    const reads = await readBench(
      child,
      info,
      scale,
      driver === 'postgres' ? REQUESTS : Math.ceil(REQUESTS / 2),
    );
    const ingestRows = INGEST ? Number(INGEST) : Math.round(1_000_000 * scale);
    const ingest =
      ingestRows > 0
        ? await ingestBench(child, { ...reads, accountId: info.accountId, driver }, ingestRows)
        : null;
    return {
      scale,
      seeded: info.seeded,
      targets: targetsOf(driver, reads.endpoints),
      endpoints: reads.endpoints,
      connectionResets: reads.resets,
      ingest,
      explain: reads.explain,
    };
  } finally {
    await child.close();
  }
}

const result: Record<string, unknown> = {
  bench: 'api',
  node: process.version,
  concurrency: CONCURRENCY,
  requestsPerEndpoint: REQUESTS,
  server: 'separate process (fork); the floor replays in that process',
  loadAverage: { atStart: load(), atEnd: [] as number[] },
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
result.loadAverage = { ...(result.loadAverage as object), atEnd: load() };
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
