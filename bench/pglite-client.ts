import { PGlite } from '@electric-sql/pglite';
import { round } from './progress.js';
import { startApiServer } from './api/server.js';

/**
 * The embedded client's prepared path (db/pglite-client.ts) against PGlite's own `query`, in one process on the API
 * bench's seeded tenth (bench/api/server.ts), alternating so a noisy machine weighs on both alike: CPU time per API
 * request (in-process `app.request`, no HTTP) for a spread of list and detail URLs, and per floor replay of their
 * captured statements. Prints one JSON object. For a profile: `node --cpu-prof --import tsx bench/pglite-client.ts`.
 *
 * `npx tsx bench/pglite-client.ts [--rounds 20] [--passes 4]`
 */
const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? dflt) : dflt;
};
const ROUNDS = Number(arg('rounds', '20'));
const PASSES = Number(arg('passes', '4'));

const { info, methods, app, handle } = await startApiServer('pglite', '', 0.1, { pgliteInProcess: true });
const client = (handle.db as unknown as { $client: Record<string, unknown> }).$client;
/** PGlite's own methods on this instance (own properties shadow the subclass's), or the subclass's again. */
const useStock = (on: boolean) => {
  for (const name of ['query', 'exec', 'transaction']) {
    if (on) client[name] = (PGlite.prototype as unknown as Record<string, unknown>)[name];
    else delete client[name];
  }
};

const ids = async (sql: string) => (await methods.query(sql, [info.accountId])).map((r) => String(r.id));
const assets = await ids('SELECT id FROM assets WHERE account_id = $1 ORDER BY md5(id::text) LIMIT 2');
const tasks = await ids('SELECT id FROM playbook_tasks WHERE account_id = $1 ORDER BY md5(id::text) LIMIT 2');
const urls = [
  '/v1/assets?limit=50',
  '/v1/assets?search=host-42',
  '/v1/assets?search=10.0.16.146',
  `/v1/assets/${assets[0] ?? ''}`,
  '/v1/vulnerabilities?limit=50',
  '/v1/vulnerabilities?severity=critical',
  `/v1/vulnerabilities?assetId=${assets[1] ?? ''}`,
  '/v1/alerts?limit=50',
  '/v1/playbook/tasks',
  `/v1/playbook/tasks/${tasks[0] ?? ''}`,
  `/v1/playbook/tasks/${tasks[1] ?? ''}/logs`,
  '/v1/audit-log',
  '/v1/reports',
  '/v1/multi-account/overview',
];
const headers = { authorization: `Bearer ${info.adminKey}` };
const get = async (url: string) => {
  const res = await app.request(url, { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 200)}`);
};
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

// Capture each URL's statements for the floor (after a warm-up request).
methods.endpointStart();
for (const url of urls) {
  await get(url);
  methods.captureStart();
  await get(url);
  await methods.captureEnd();
}

const perUrl: Record<string, { stock: number; prepared: number }> = {};
const floor = { stock: 0, prepared: 0 };
for (let pass = 0; pass < PASSES; pass++) {
  for (const mode of ['stock', 'prepared'] as const) {
    useStock(mode === 'stock');
    for (const url of urls) {
      const t = cpuMs();
      for (let r = 0; r < ROUNDS; r++) await get(url);
      const entry = (perUrl[url] ??= { stock: 0, prepared: 0 });
      entry[mode] += (cpuMs() - t) / ROUNDS / PASSES;
    }
    const t = cpuMs();
    for (let r = 0; r < ROUNDS; r++) await methods.floor(mode, urls.length, 1);
    floor[mode] += (cpuMs() - t) / ROUNDS / urls.length / PASSES;
  }
}
useStock(false);
const mean = (mode: 'stock' | 'prepared') =>
  round(Object.values(perUrl).reduce((n, e) => n + e[mode], 0) / urls.length);
process.stdout.write(
  `${JSON.stringify(
    {
      bench: 'pglite-client',
      rounds: ROUNDS,
      passes: PASSES,
      apiCpuMsPerRequest: Object.fromEntries(
        Object.entries(perUrl).map(([url, e]) => [
          url,
          { stock: round(e.stock), prepared: round(e.prepared) },
        ]),
      ),
      apiMean: { stock: mean('stock'), prepared: mean('prepared') },
      floorCpuMsPerRequest: { stock: round(floor.stock), prepared: round(floor.prepared) },
    },
    null,
    2,
  )}\n`,
);
await methods.close();
process.exit(0);
