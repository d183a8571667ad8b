import fs from 'node:fs/promises';
import inspector from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { Logger } from 'drizzle-orm';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { createAccount } from '../../services/accounts/create-account.js';
import {
  migrationsFolder,
  openPglite,
  openPgliteWorker,
  pgliteDrizzle,
  attachPlannedOnce,
  PLANNED_ONCE_SETTINGS,
  SESSION_SETTINGS,
  type Database,
  type DatabaseHandle,
} from '../../db/client.js';
import * as schema from '../../db/schema/index.js';
import { errorMessage } from '../../domain/errors.js';
import { answerRpc } from '../ipc.js';
import { offlineApp } from '../offline-app.js';
import { progress, round } from '../progress.js';
import { drive, type Figures } from './drive.js';
import { accountStatements, assetStatements, directoryStatements, sizeAt, uuid7Function } from './seed.js';

/**
 * The server side of bench/api.ts, run in a child process (bench/api/serve-child.ts) so the load generator's CPU
 * and GC stay out of the API's figures. It owns the database (PGlite lives in one process; on Postgres a fresh
 * database per run): migrates and seeds it, serves the API on loopback HTTP, captures the SQL each request issues
 * (Drizzle's logger) and replays it as the floor here, through the same driver (postgres.js or PGlite) with no HTTP
 * and no framework, and reports its own CPU time between `cpuStart` and `cpuEnd`.
 */
/** Where `cpuStart(label)` … `cpuEnd()` write a CPU profile of the API process per label (unset: no profiling). */
const PROFILE_DIR = process.env.BENCH_API_CPU_PROF_DIR;

/** A V8 CPU profile of this process from now until `stop()`, written as `<label>.cpuprofile` in PROFILE_DIR. */
async function startProfile(label: string) {
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      const file = path.join(PROFILE_DIR ?? '.', `${label.replace(/[^\w.-]+/g, '-')}.cpuprofile`);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, JSON.stringify(profile));
    },
  };
}

export interface Captured {
  sql: string;
  params: unknown[];
  /** Issued through `plannedOnce` (db/client.ts): the floor runs it on sessions that plan it once too. */
  plannedOnce?: boolean;
}

/** Runs raw SQL with parameters on the bench's floor client (its planned-once sessions for such); returns rows. */
type Raw = (sql: string, params?: unknown[], plannedOnce?: boolean) => Promise<Record<string, unknown>[]>;

interface Target {
  handle: DatabaseHandle;
  /** The floor: the same statements without HTTP, Hono, zod or Drizzle. */
  raw: Raw;
  /** Many statements in one round trip, for seeding. */
  exec: (sql: string) => Promise<void>;
  /** EXPLAIN (ANALYZE, BUFFERS) of a statement issued through `plannedOnce`, with the plan the application runs. */
  explainPlannedOnce: (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;
  drop: () => Promise<void>;
}

/** Statements issued while a capture is open (the bench captures one request at a time, with nothing else running). */
let capture: Captured[] | null = null;
const recorder: Logger = {
  logQuery(sql, params) {
    capture?.push({ sql, params });
  },
};
const plannedOnceRecorder: Logger = {
  logQuery(sql, params) {
    capture?.push({ sql, params, plannedOnce: true });
  },
};

/** A bind parameter's value as an SQL literal (standard-conforming strings: only the quote is doubled). */
function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = value instanceof Date ? value.toISOString() : String(value);
  return `'${text.replace(/'/g, "''")}'`;
}

async function postgresTarget(pgUrl: string): Promise<Target> {
  const name = `vigil_bench_${process.pid}`;
  const admin = postgres(pgUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  const client = postgres(url.toString(), {
    max: 20,
    onnotice: () => undefined,
    connection: SESSION_SETTINGS,
  });
  const db = drizzlePostgres({ client, schema, casing: 'snake_case', logger: recorder });
  // The floor's sessions start as the application's do (db/client.ts), so that the same SQL does the same work.
  const floor = postgres(url.toString(), {
    max: 20,
    prepare: true,
    onnotice: () => undefined,
    connection: SESSION_SETTINGS,
  });
  // The application's planned-once pool (db/client.ts `plannedOnce`), and the floor's twin of it.
  const plannedOnceClient = attachPlannedOnce(db as unknown as Database, url.toString(), {
    max: 20,
    logger: plannedOnceRecorder,
  });
  const plannedOnceFloor = postgres(url.toString(), {
    max: 20,
    prepare: true,
    onnotice: () => undefined,
    connection: PLANNED_ONCE_SETTINGS,
  });
  return {
    handle: {
      db: db as unknown as Database,
      driver: 'postgres',
      migrate: () => migratePostgres(db, { migrationsFolder }),
      close: async () => {
        await Promise.all([client.end({ timeout: 5 }), plannedOnceClient.end()]);
      },
    },
    raw: async (sql, params = [], plannedOnce = false) =>
      [
        ...(await (plannedOnce ? plannedOnceFloor : floor).unsafe(
          sql,
          params as postgres.ParameterOrJSON<never>[],
          { prepare: true },
        )),
      ] as Record<string, unknown>[],
    exec: async (sql) => {
      await floor.unsafe(sql);
    },
    explainPlannedOnce: async (sql, params) => {
      // EXPLAIN of a statement with parameters plans it for their values; the plan the application runs is the
      // statement's generic one, which EXPLAIN EXECUTE of a prepared statement on a planned-once session shows.
      const connection = await plannedOnceFloor.reserve();
      let prepared = false;
      try {
        // PREPARE infers its parameters' types from the text alone; the ones the server inferred for the driver's
        // prepared statement (a placeholder beside another parameter has none of its own) are given instead.
        const { types } = await connection
          .unsafe(sql, params as postgres.ParameterOrJSON<never>[])
          .describe();
        const names = await connection.unsafe<{ name: string }[]>(
          'SELECT t::regtype::text AS name FROM unnest($1::oid[]) WITH ORDINALITY AS u(t, i) ORDER BY i',
          [`{${types.join(',')}}`],
        );
        const typed = names.length > 0 ? `(${names.map((n) => n.name).join(', ')})` : '';
        // The simple protocol: through the extended one, the statement's $n would be PREPARE's own parameters.
        await connection.unsafe(`PREPARE bench_planned_once${typed} AS ${sql}`).simple();
        prepared = true;
        // EXPLAIN EXECUTE takes no bind parameters: the values go as literals, each cast to its parameter's type.
        const values = names.map((n, i) => `${sqlLiteral(params[i])}::${n.name}`).join(', ');
        const rows = await connection
          .unsafe(`EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_planned_once${values ? `(${values})` : ''}`)
          .simple();
        return [...rows] as Record<string, unknown>[];
      } finally {
        if (prepared) await connection.unsafe('DEALLOCATE bench_planned_once');
        connection.release();
      }
    },
    drop: async () => {
      await Promise.all([floor.end({ timeout: 5 }), plannedOnceFloor.end({ timeout: 5 })]);
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/**
 * The application's embedded client (db/client.ts), so the API and the floor run what `npm start` runs: PGlite on a
 * thread of its own; `inProcess`, on the API's thread (bench/pglite-client.ts compares its paths there).
 */
async function pgliteTarget(inProcess: boolean): Promise<Target> {
  const client = inProcess ? await openPglite() : await openPgliteWorker();
  const db = pgliteDrizzle(client, recorder);
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
    // The embedded database plans every statement once already (db/client.ts): nothing is issued as planned once.
    explainPlannedOnce: async (sql, params) =>
      (await client.query<Record<string, unknown>>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params)).rows,
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

export interface ApiServerInfo {
  base: string;
  adminKey: string;
  accountId: string;
  memberIds: string[];
  seeded: Awaited<ReturnType<typeof seed>>;
}

export async function startApiServer(
  driver: 'postgres' | 'pglite',
  pgUrl: string,
  scale: number,
  opts: { pgliteInProcess?: boolean } = {},
) {
  const target =
    driver === 'postgres' ? await postgresTarget(pgUrl) : await pgliteTarget(opts.pgliteInProcess ?? false);
  const { handle } = target;
  await handle.migrate();
  const { app, adminKey, account } = await offlineApp(handle);
  const memberIds = await Promise.all(
    [1, 2, 3, 4, 5].map(async (i) => (await createAccount(handle.db, { name: `member ${i}` })).account.id),
  );
  const seeded = await seed(target, account.id, memberIds, scale);
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    if ('keepAliveTimeout' in s) s.keepAliveTimeout = 65_000;
  });
  const info: ApiServerInfo = {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    adminKey: adminKey.key,
    accountId: account.id,
    memberIds,
    seeded,
  };
  /** The statements each URL of the current endpoint issued (captured once per URL, alone). */
  let perUrl: Captured[][] = [];
  let cpu0 = process.cpuUsage();
  let profile: { stop: () => Promise<void> } | null = null;
  const methods = {
    /** Rows of a statement on the floor client (the parent's look-ups: ids, cursors, EXPLAIN). */
    query: (sql: string, params: unknown[] = []) => target.raw(sql, params),
    /** EXPLAIN (ANALYZE, BUFFERS) of a captured statement, with the plan the application runs for it. */
    explain: (statement: Captured) =>
      statement.plannedOnce
        ? target.explainPlannedOnce(statement.sql, statement.params)
        : target.raw(`EXPLAIN (ANALYZE, BUFFERS) ${statement.sql}`, statement.params),
    /** Forgets the previous endpoint's captured statements. */
    endpointStart: () => {
      perUrl = [];
    },
    /** Captures the statements of the requests until `captureEnd` (the parent sends one request in between). */
    captureStart: () => {
      capture = [];
    },
    /** Keeps the captured statements for the floor, replays each once; answers the slowest (for EXPLAIN). */
    captureEnd: async () => {
      const statements = capture ?? [];
      capture = null;
      perUrl.push(statements);
      let slowest: { ms: number; statement: Captured | null } = { ms: -1, statement: null };
      for (const s of statements) {
        const t = performance.now();
        await target.raw(s.sql, s.params, s.plannedOnce);
        const ms = performance.now() - t;
        if (ms > slowest.ms) slowest = { ms, statement: s };
      }
      return { statements: statements.length, slowest: slowest.statement, slowestMs: slowest.ms };
    },
    /** The floor: the current endpoint's captured statements, request by request, at `concurrency`. */
    floor: (name: string, requests: number, concurrency: number): Promise<Figures> =>
      drive(`${name} floor`, requests, concurrency, async (i) => {
        for (const s of perUrl[i % perUrl.length] ?? []) await target.raw(s.sql, s.params, s.plannedOnce);
      }),
    /** One statement run once per parameter set, all at once, timed here (ms), e.g. the ingest floor's upsert. */
    timed: async (sql: string, paramSets: unknown[][]) => {
      const t = performance.now();
      await Promise.all(paramSets.map((params) => target.raw(sql, params)));
      return performance.now() - t;
    },
    /** Starts counting this process's CPU time; with BENCH_API_CPU_PROF_DIR set, a CPU profile of it too. */
    cpuStart: async (label?: string) => {
      if (PROFILE_DIR && label) profile = await startProfile(label);
      cpu0 = process.cpuUsage();
    },
    /** This process's CPU time (user + system, ms) since `cpuStart` (its profile, if any, written to the folder). */
    cpuEnd: async () => {
      const cpu = process.cpuUsage(cpu0);
      await profile?.stop();
      profile = null;
      return (cpu.user + cpu.system) / 1000;
    },
    close: async () => {
      if ('closeAllConnections' in server) server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handle.close();
      await target.drop();
    },
  };
  return { info, methods, app, handle };
}

export type ApiServerMethods = Awaited<ReturnType<typeof startApiServer>>['methods'];

/**
 * The child's side: answers `start(scale)` (seeds and serves; its reply is the server's info), then the server's
 * methods until `close`, after which it exits (the offline app's services keep timers that are not the bench's).
 */
export function serveOverIpc(driver: 'postgres' | 'pglite', pgUrl: string): void {
  let methods: ApiServerMethods | null = null;
  const running = () => {
    if (!methods) throw new Error('the API server is not started');
    return methods;
  };
  const calls: ApiServerCalls = {
    start: async (scale) => {
      const started = await startApiServer(driver, pgUrl, scale);
      methods = started.methods;
      return started.info;
    },
    query: (sql, params) => running().query(sql, params),
    explain: (statement) => running().explain(statement),
    endpointStart: () => running().endpointStart(),
    captureStart: () => running().captureStart(),
    captureEnd: () => running().captureEnd(),
    floor: (name, requests, concurrency) => running().floor(name, requests, concurrency),
    timed: (sql, paramSets) => running().timed(sql, paramSets),
    cpuStart: (label) => running().cpuStart(label),
    cpuEnd: () => running().cpuEnd(),
    close: async () => {
      await methods?.close();
    },
  };
  answerRpc(calls, { pid: process.pid }, { exitAfterClose: true });
}

export type ApiServerCalls = ApiServerMethods & { start: (scale: number) => Promise<ApiServerInfo> };
