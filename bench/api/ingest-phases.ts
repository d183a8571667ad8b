import { readFileSync } from 'node:fs';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { PgDialect } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { z } from 'zod';
import { createAccount } from '../../services/accounts/create-account.js';
import { migrationsFolder, type Database } from '../../db/client.js';
import * as schema from '../../db/schema/index.js';
import { ZVulnerabilityInputSchema } from '../../domain/findings-input.js';
import { compiledJsonBody } from '../../api/router.js';
import { scanJsonText } from '../../domain/input-rules.js';
import { ingestVulnerabilities } from '../../services/inventory/ingest-findings.js';
import { ingestFindingBatch } from '../../services/inventory/ingest-finding-batch.js';
import { assetStatements, sizeAt, uuid7Function } from './seed.js';

/**
 * Where one 10,000-row `POST /v1/vulnerabilities` spends its time (issue 17, ingestion), without HTTP: seeds a fleet
 * (bench/api/seed.ts, × SCALE) in a fresh Postgres database, then per request times the input rule's scan of the
 * text, JSON.parse and the route's body schema as the route runs it (compiledJsonBody; Node CPU), and the whole
 * ingestFindingBatch, whose rows' assets the (account, asset) foreign key checks (wall, and Node CPU); then prints
 * EXPLAIN (ANALYZE, BUFFERS) of the upsert for new rows, changed rows and unchanged rows, and the backend's CPU time
 * for that statement (/proc/<pid>/schedstat, Linux; steadier than wall time on a shared machine) with variants in
 * rolled-back transactions: as is, ids shuffled, no triggers or foreign key, only the natural key and primary key
 * indexes.
 *
 * `SCALE=0.2 R=4 K=4 [FF=60] npx tsx bench/api/ingest-phases.ts` (R requests, best of K per variant, FF a fillfactor)
 */
const PG =
  process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const name = `vigil_prof_${process.pid}`;
const admin = postgres(PG, { max: 1, onnotice: () => undefined });
await admin.unsafe(`CREATE DATABASE ${name}`);
const pgUrl = new URL(PG);
pgUrl.pathname = `/${name}`;
const url = pgUrl.toString();
const client = postgres(url, { max: 4, onnotice: () => undefined });
const raw = postgres(url, { max: 1, onnotice: () => undefined });
const db = drizzle({ client, schema, casing: 'snake_case' }) as unknown as Database;
const ms = (t: number) => Math.round((performance.now() - t) * 10) / 10;
try {
  await migrate(db as never, { migrationsFolder });
  const { account } = await createAccount(db, { name: 'p' });
  if (process.env.FF) await raw.unsafe(`ALTER TABLE vulnerabilities SET (fillfactor = ${process.env.FF})`);
  const size = { ...sizeAt(Number(process.env.SCALE ?? '0.2')) };
  await raw.unsafe(uuid7Function);
  for (const s of assetStatements(account.id, size, Date.now() - 366 * 86_400_000)) await raw.unsafe(s.sql);
  await raw.unsafe('ANALYZE');
  const assetIds = (await raw`SELECT id FROM assets WHERE account_id = ${account.id} ORDER BY id`).map((r) =>
    String(r.id),
  );
  const items = (r: number, pass: number) =>
    Array.from({ length: 10_000 }, (_, k) => {
      const n = r * 10_000 + k;
      return {
        assetId: assetIds[n % assetIds.length],
        type: 'linux',
        name: `BENCH-${Math.floor(n / assetIds.length)}`,
        title: `ingested ${pass}`,
        cveIds: [`CVE-2025-${1000 + (n % 9000)}`],
        severity: ['critical', 'high', 'medium', 'low'][n % 4],
        fixable: true,
        packageName: 'openssl',
        installedVersion: '3.0.1',
        fixedVersion: '3.0.2',
      };
    });
  const body = z.strictObject({ items: z.array(ZVulnerabilityInputSchema).min(1).max(10_000) });
  const routeBody = compiledJsonBody(body).content['application/json'].schema;
  const actor = { accountId: account.id, actor: 'key:p' };
  const R = Number(process.env.R ?? '6');
  for (let r = 0; r < R; r++) {
    const text = JSON.stringify({ items: items(r, 1) });
    let u = process.cpuUsage();
    scanJsonText(text);
    const tScan = process.cpuUsage(u).user / 1000;
    u = process.cpuUsage();
    const parsed = JSON.parse(text) as unknown;
    const tJson = process.cpuUsage(u).user / 1000;
    u = process.cpuUsage();
    const v = await routeBody.safeParseAsync(parsed);
    const tZod = process.cpuUsage(u).user / 1000;
    if (!v.success) throw new Error(v.error.message);
    const t = performance.now();
    u = process.cpuUsage();
    await ingestFindingBatch(db, actor, { kind: 'vulnerabilities', items: v.data.items });
    const batchCpu = process.cpuUsage(u).user / 1000;
    const tBatch = ms(t);
    console.log(JSON.stringify({ r, tScan, tJson, tZod, tBatch, batchCpu }));
  }
  // The statement itself, through EXPLAIN ANALYZE on a further batch (rolled back), new rows and re-upsert.
  const pid = String((await raw`select pg_backend_pid() as pid`)[0]?.pid);
  const cpu = () => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  const dialect = new PgDialect({ casing: 'snake_case' });
  let captured: { sql: string; params: unknown[] } | null = null;
  const fake = {
    execute: (q: never) => {
      captured = dialect.sqlToQuery(q);
      return Promise.resolve([{ created: 0, updated: 0 }]);
    },
  };
  for (const [label, r, pass] of [
    ['insert', R, 1],
    ['reupsert-changed', 0, 2],
    ['reupsert-same', 1, 1],
  ] as const) {
    const v = body.parse(JSON.parse(JSON.stringify({ items: items(r, pass) })));
    await ingestVulnerabilities(fake as never, account.id, v.items);
    const q = captured as unknown as { sql: string; params: unknown[] };
    const inner = q.sql.replace(/^with upserted as \(/, '').replace(/\)\s*select \(count[\s\S]*$/, '');
    await raw.unsafe('BEGIN');
    const plan = await raw.unsafe(`EXPLAIN (ANALYZE, BUFFERS) ${inner}`, q.params as never[]);
    await raw.unsafe('ROLLBACK');
    console.log(`--- ${label}\n${plan.map((p) => String(Object.values(p)[0])).join('\n')}`);
    // Per-index / trigger cost: same statement with one thing removed, inside a rolled-back transaction.
    const variants: [string, string][] = [
      ['all', ''],
      ['shuffled ids', 'SHUFFLE'],
      ['no triggers no FK', 'ALTER TABLE vulnerabilities DISABLE TRIGGER ALL'],
      [
        'only natural_uq+pkey',
        'DROP INDEX vulnerabilities_account_idx, vulnerabilities_severity_page_idx, vulnerabilities_status_page_idx, vulnerabilities_status_severity_page_idx, vulnerabilities_asset_page_idx',
      ],
    ];
    const idLit = String(q.params[1]);
    const shuffled = idLit
      .slice(1, -1)
      .split(',')
      .sort(() => Math.random() - 0.5);
    const q2params = [q.params[0], `{${shuffled.join(',')}}`, ...q.params.slice(2)];
    const mins = new Map<string, number>();
    for (let k = 0; k < Number(process.env.K ?? '5'); k++) {
      for (const [vname, ddl] of variants) {
        await raw.unsafe('BEGIN');
        if (ddl && ddl !== 'SHUFFLE') await raw.unsafe(ddl);
        const c0 = cpu();
        await raw.unsafe(q.sql, (ddl === 'SHUFFLE' ? q2params : q.params) as never[]);
        mins.set(vname, Math.min(mins.get(vname) ?? Infinity, Math.round((cpu() - c0) / 1e5) / 10));
        await raw.unsafe('ROLLBACK');
      }
    }
    console.log(label, JSON.stringify(Object.fromEntries(mins)));
  }
} finally {
  await client.end();
  await raw.end();
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
