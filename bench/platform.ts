import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import postgres from 'postgres';
import { openDatabase, type DatabaseHandle } from '../db/client.js';
import { randomToken } from '../platform/secrets.js';
import { offlineApp } from './offline-app.js';
import { concurrentLoad, percentile } from './progress.js';
import { arg } from './cli.js';

/**
 * Platform figures: bulk upsert of 10,000 assets through the API (first insert and re-upsert) on PGlite and on
 * Postgres, and p50/p99 of `GET /v1/assets?search=` over those 10,000 assets under a loopback HTTP load.
 * Prints one JSON object. `npx tsx bench/platform.ts [--requests N] [--concurrency C]`
 */
const ASSETS = Number(process.env.BENCH_ASSETS ?? 10_000);
const REQUESTS = arg('requests', 2000);
const CONCURRENCY = arg('concurrency', 8);
const PG_URL =
  process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function assetsPayload() {
  return Array.from({ length: ASSETS }, (_, i) => ({
    name: `${['web', 'db', 'cache', 'queue', 'api'][i % 5]}-${String(i).padStart(5, '0')}`,
    hostname: `host-${i}.bench.internal`,
    ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
    osFamily: i % 7 === 0 ? 'windows' : 'linux',
    osVersion: i % 7 === 0 ? 'Windows Server 2022' : 'Ubuntu 22.04',
    groups: [`rack-${i % 20}`],
    tags: ['bench'],
  }));
}

async function runOn(driver: 'pglite' | 'postgres') {
  let handle: DatabaseHandle;
  let drop: (() => Promise<void>) | undefined;
  if (driver === 'pglite') {
    handle = await openDatabase({});
  } else {
    const name = `vigil_bench_${randomToken(8).toLowerCase()}`;
    const admin = postgres(PG_URL, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`CREATE DATABASE ${name}`);
    const url = new URL(PG_URL);
    url.pathname = `/${name}`;
    handle = await openDatabase({ url: url.toString(), poolMax: 20 });
    drop = async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    };
  }
  await handle.migrate();
  const { app, adminKey } = await offlineApp(handle);
  const headers = { authorization: `Bearer ${adminKey.key}`, 'content-type': 'application/json' };
  const body = JSON.stringify({ assets: assetsPayload() });

  const upsert = async () => {
    const t = performance.now();
    const res = await app.request('/v1/assets', { method: 'POST', headers, body });
    if (res.status !== 200) throw new Error(`upsert failed: ${res.status} ${await res.text()}`);
    return performance.now() - t;
  };
  const insertMs = await upsert();
  const reupsertMs = await upsert();

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    // Keep idle keep-alive sockets longer than the client does, so a reused socket is never closed under it.
    if ('keepAliveTimeout' in s) s.keepAliveTimeout = 65_000;
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const terms = ['web-0042', 'db-0', '10.0.3.', 'cahce-00', 'host-77', 'queue', 'api-09999', 'zzz-nothing'];
  const { latencies, wallMs } = await concurrentLoad(
    `GET /v1/assets?search= (${driver})`,
    REQUESTS,
    CONCURRENCY,
    async (i) => {
      const t = performance.now();
      const res = await fetch(
        `${base}/v1/assets?search=${encodeURIComponent(terms[i % terms.length] ?? '')}&limit=50`,
        { headers },
      );
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`search failed: ${res.status}`);
      return performance.now() - t;
    },
  );
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await handle.close();
  await drop?.();
  latencies.sort((a, b) => a - b);
  return {
    bulkUpsert10kInsertMs: Math.round(insertMs),
    bulkUpsert10kReupsertMs: Math.round(reupsertMs),
    assetsPerSecondInsert: Math.round(ASSETS / (insertMs / 1000)),
    search: {
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      requestsPerSecond: Math.round(REQUESTS / (wallMs / 1000)),
    },
  };
}

const result: Record<string, unknown> = { bench: 'platform', assets: ASSETS, node: process.version };
result.pglite = await runOn('pglite');
try {
  result.postgres = await runOn('postgres');
} catch (err) {
  result.postgres = {
    skipped: `Postgres at ${PG_URL.replace(/\/\/[^@]*@/, '//')} unavailable: ${(err as Error).message}`,
  };
}
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
