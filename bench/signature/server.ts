import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { Client, Connection } from '@temporalio/client';
import { createAccount } from '../../services/accounts/create-account.js';
import { flushAdmissionDecisions } from '../../services/signature/admission-engine.js';
import { createApp } from '../../api/app.js';
import { openDatabase, type DatabaseHandle } from '../../db/client.js';
import { createScratchPostgres } from '../../test/database.js';
import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';
import { createSecretBox, generateMasterKey } from '../../platform/secrets.js';
import { buildServices } from '../../platform/services.js';
import { round } from '../progress.js';
import { answerRpc } from '../ipc.js';

/**
 * The server side of bench/signature.ts: the API on loopback HTTP (PGlite, or a fresh Postgres database), plus
 * what only the server can measure — its own time per request, CPU, GC pauses, event-loop delay and database
 * round trips — between `phaseStart` and `phaseEnd`. Run in a child process (`fork`, see `serveOverIpc`) so the
 * load generator's CPU and GC stay out of these figures, or in the bench's own process with `--same-process`.
 */
export interface ServerInfo {
  base: string;
  /** POST here: an empty Hono handler on the same server and process (reads the body, answers a constant). */
  floorPath: string;
  adminKey: string;
  accountId: string;
  database: string;
}

export interface ServerPhase {
  requests: number;
  /** Time inside `app.fetch` (routing, middleware, handler, JSON), without Node's HTTP parsing and socket I/O. */
  handlerMs: number[];
  cpuMsPerRequest: number;
  dbQueries: QueryCounts;
  gc: { count: number; totalMs: number; maxMs: number };
  eventLoopDelay: { p99Ms: number; maxMs: number };
}

export interface SignatureServer {
  info: ServerInfo;
  phaseStart(): Promise<void>;
  phaseEnd(): Promise<ServerPhase>;
  /** The review through `app.request` (no sockets), sequentially: the API's own latency per request. */
  inProcess(path: string, body: string, n: number): Promise<{ samples: number[]; wallMs: number }>;
  close(): Promise<void>;
}

interface QueryCounts {
  /** SELECT statements (on the warm path: only the generation re-check). */
  reads: number;
  /** Everything else: INSERT (decisions, labels), UPDATE, transactions. */
  writes: number;
}

/** Counts every statement the driver sends: PGlite's query/exec/transaction, postgres.js's unsafe/begin. */
function countQueries(handle: DatabaseHandle): () => QueryCounts {
  const counts: QueryCounts = { reads: 0, writes: 0 };
  const client = (handle.db as unknown as { $client: Record<string, unknown> }).$client;
  for (const name of ['query', 'exec', 'transaction', 'unsafe', 'begin']) {
    const original = client[name];
    if (typeof original !== 'function') continue;
    client[name] = function counted(this: unknown, ...rest: unknown[]) {
      const text = typeof rest[0] === 'string' ? rest[0].trimStart().slice(0, 6).toLowerCase() : '';
      if (text === 'select') counts.reads++;
      else counts.writes++;
      return (original as (...a: unknown[]) => unknown).apply(this, rest);
    };
  }
  return () => ({ ...counts });
}

/** CPU and allocation profiles of each measured phase (not of start-up and migrations) into `dir`, when given. */
function phaseProfiler(dir: string | undefined) {
  if (!dir) return { start: async () => undefined, stop: async () => undefined };
  const session = new Session();
  session.connect();
  let phase = 0;
  return {
    async start() {
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
      await session.post('HeapProfiler.enable');
      // Every allocation sample, also of objects the young generation already collected: where GC pressure comes from.
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 4096,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    },
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      const heap = await session.post('HeapProfiler.stopSampling');
      const name = path.join(dir, `signature-server-phase${++phase}`);
      writeFileSync(`${name}.cpuprofile`, JSON.stringify(profile));
      writeFileSync(`${name}.heapprofile`, JSON.stringify(heap.profile));
    },
  };
}

const FLOOR_PATH = '/bench/floor';

export async function startSignatureServer(opts: {
  postgresUrl?: string;
  cpuProfileDir?: string;
}): Promise<SignatureServer> {
  const profiler = phaseProfiler(opts.cpuProfileDir);
  let database: DatabaseHandle;
  if (opts.postgresUrl) {
    // A scratch database of its own, dropped when the handle closes.
    database = (await createScratchPostgres(opts.postgresUrl, 'vigil_bench')).handle;
  } else {
    database = await openDatabase({});
    await database.migrate();
  }
  const queries = countQueries(database);
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    VIGIL_RATE_LIMIT_PER_MINUTE: '1000000',
    VIGIL_ADMISSION_REVIEWS_PER_SECOND: '1000000',
  });
  const services = buildServices({
    config,
    database,
    // Signing and admission never reach Temporal; a lazy connection is never dialled.
    temporal: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }),
    logger: createLogger('warn'),
    secrets: createSecretBox(Buffer.from(generateMasterKey(), 'hex')),
  });
  const app = createApp(services);

  // The floor: what any request costs on this machine at this moment (Node's HTTP, Hono's routing, a JSON answer),
  // measured in the same run, through the same server, so a loaded machine shows in both figures alike.
  const floor = new Hono().post(FLOOR_PATH, async (c) => {
    await c.req.text();
    return c.json({ ok: true });
  });
  let sampling = false;
  let handlerMs: number[] = [];
  const timedFetch = async (req: Request) => {
    const t0 = performance.now();
    const res = await (req.url.endsWith(FLOOR_PATH) ? floor.fetch(req) : app.fetch(req));
    if (sampling) handlerMs.push(performance.now() - t0);
    return res;
  };
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: timedFetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const { account, adminKey } = await createAccount(database.db, { name: 'bench' });

  const gc = { count: 0, totalMs: 0, maxMs: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    if (!sampling) return;
    for (const e of list.getEntries()) {
      gc.count++;
      gc.totalMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  let cpu0 = process.cpuUsage();
  let queries0: QueryCounts = { reads: 0, writes: 0 };

  return {
    info: {
      base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      floorPath: FLOOR_PATH,
      adminKey: adminKey.key,
      accountId: account.id,
      database: database.driver,
    },
    async phaseStart() {
      sampling = true;
      handlerMs = [];
      Object.assign(gc, { count: 0, totalMs: 0, maxMs: 0 });
      loopDelay.reset();
      loopDelay.enable();
      cpu0 = process.cpuUsage();
      queries0 = queries();
      await profiler.start();
    },
    async phaseEnd() {
      sampling = false;
      await profiler.stop();
      loopDelay.disable();
      const cpu = process.cpuUsage(cpu0);
      const requests = handlerMs.length;
      return {
        requests,
        handlerMs,
        cpuMsPerRequest: requests ? round((cpu.user + cpu.system) / 1000 / requests) : 0,
        dbQueries: { reads: queries().reads - queries0.reads, writes: queries().writes - queries0.writes },
        gc: { count: gc.count, totalMs: round(gc.totalMs), maxMs: round(gc.maxMs) },
        eventLoopDelay: {
          p99Ms: round(loopDelay.percentile(99) / 1e6),
          maxMs: round(loopDelay.max / 1e6),
        },
      };
    },
    async inProcess(path, body, n) {
      const samples: number[] = [];
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const s0 = performance.now();
        const res = await app.request(path, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await res.arrayBuffer();
        samples.push(performance.now() - s0);
      }
      return { samples, wallMs: performance.now() - t0 };
    },
    async close() {
      gcObserver.disconnect();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      await flushAdmissionDecisions(services.db);
      services.mailer.close();
      await database.close();
    },
  };
}

/** What the parent (bench/signature.ts) can call on a forked server (bench/ipc.ts). */
export type ServerMethods = Omit<SignatureServer, 'info'>;

/** The child's side: start the server, announce its info, then answer calls until `close`. */
export async function serveOverIpc(opts: { postgresUrl?: string; cpuProfileDir?: string }): Promise<void> {
  const server = await startSignatureServer(opts);
  const methods: ServerMethods = {
    phaseStart: () => server.phaseStart(),
    phaseEnd: () => server.phaseEnd(),
    inProcess: (p, body, n) => server.inProcess(p, body, n),
    close: () => server.close(),
  };
  answerRpc(methods, server.info);
}
