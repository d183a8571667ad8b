import { createHash } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { podReview } from '../test/admission-review.js';
import { percentile, progress, round } from './progress.js';
import { registryFigures } from './signature/registry-phase.js';
import {
  startSignatureServer,
  type ServerInfo,
  type ServerMethods,
  type ServerPhase,
  type SignatureServer,
} from './signature/server.js';
import { forkRpc } from './ipc.js';
import { arg, args, runBench } from './cli.js';

/**
 * Container-signature figures over real loopback HTTP: admission latency for a Pod with 10 containers (warm
 * cache sequential and concurrent, cold cache with the policy changed through the API before each request) and
 * signatures per second through `POST /v1/signature/signatures`. The server (API on embedded PGlite, or a fresh
 * Postgres database with `--postgres`) runs in a child process so the load generator's CPU and GC stay out of its
 * figures (`--same-process` runs both in one process, as before). A warm-up precedes every measured phase.
 * `npx tsx bench/signature.ts [--warm N] [--warmup N] [--cold N] [--registry-cold N] [--signatures N] [--concurrency C]
 *  [--postgres] [--same-process] [--cpu-prof DIR]` (--cpu-prof: one server profile per measured phase)
 */
const strArg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const WARM = arg('warm', 2000);
const WARMUP = arg('warmup', 500);
const COLD = arg('cold', 200);
const SIGNATURES = arg('signatures', 200);
const CONCURRENCY = arg('concurrency', 8);
const SAME_PROCESS = args.includes('--same-process');
const POSTGRES_URL = args.includes('--postgres')
  ? (process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test')
  : undefined;
const CPU_PROF_DIR = strArg('cpu-prof');
const CONTAINERS = 10;
const REGISTRY_COLD = arg('registry-cold', 30);

const digestOf = (i: number) => `sha256:${i.toString(16).padStart(2, '0').repeat(32)}`;
const load = () => os.loadavg().map((l) => Math.round(l * 100) / 100);

function latency(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    requests: samples.length,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: percentile(sorted, 100),
  };
}

function stats(samples: number[], wallMs: number) {
  return { ...latency(samples), perSecond: Math.round((samples.length / wallMs) * 1000) };
}

/** The server's own view of a phase: time in the app, CPU, DB round trips, GC and event-loop delay. */
function serverFigures(p: ServerPhase) {
  const sorted = [...p.handlerMs].sort((a, b) => a - b);
  return {
    handlerP50Ms: percentile(sorted, 50),
    handlerP99Ms: percentile(sorted, 99),
    handlerMaxMs: percentile(sorted, 100),
    cpuMsPerRequest: p.cpuMsPerRequest,
    dbQueries: p.dbQueries.reads + p.dbQueries.writes,
    dbQueriesPerRequest: p.requests ? round((p.dbQueries.reads + p.dbQueries.writes) / p.requests) : 0,
    dbReads: p.dbQueries.reads,
    dbWrites: p.dbQueries.writes,
    gc: p.gc,
    eventLoopDelay: p.eventLoopDelay,
  };
}

/** The server in a child process, driven over its IPC channel. */
async function forkServer(): Promise<SignatureServer> {
  const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'signature', 'serve-child.ts');
  const childArgs = [
    ...(POSTGRES_URL ? ['--postgres-url', POSTGRES_URL] : []),
    ...(CPU_PROF_DIR ? ['--cpu-prof', CPU_PROF_DIR] : []),
  ];
  const child = await forkRpc<ServerMethods, ServerInfo>(entry, childArgs, { name: 'bench server' });
  return {
    info: child.ready,
    phaseStart: () => child.call('phaseStart'),
    phaseEnd: () => child.call('phaseEnd'),
    inProcess: (p, body, n) => child.call('inProcess', p, body, n),
    close: () => child.close(),
  };
}

async function main() {
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const loadAtStart = load();
  const server = SAME_PROCESS
    ? await startSignatureServer({ postgresUrl: POSTGRES_URL, cpuProfileDir: CPU_PROF_DIR })
    : await forkServer();
  const { base, adminKey } = server.info;
  const api = async <T>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };

  log('setting up witness, cluster, policy and 10 signed images');
  const witness = (await api<{ id: string }>('POST', '/v1/signature/witnesses', { name: 'bench' })).body;
  const cluster = (await api<{ id: string; token: string }>('POST', '/v1/clusters', { name: 'bench' })).body;
  const policy = (
    await api<{ id: string }>('POST', '/v1/signature/policies', {
      name: 'bench',
      witnessId: witness.id,
      clusterId: cluster.id,
      namespaces: ['prod'],
      enabled: true,
      mode: 'enforce',
    })
  ).body;
  const images = Array.from(
    { length: CONTAINERS },
    (_, i) => `registry.example.com/bench/svc${i}@${digestOf(i + 1)}`,
  );
  for (const image of images)
    await api('POST', '/v1/signature/signatures', { image, witnessId: witness.id, push: false });
  const review = JSON.stringify(podReview({ uid: 'bench', namespace: 'prod', images }));
  const admissionPath = `/admission/v1/validate/${cluster.token}`;
  // node:http with keep-alive rather than fetch: a third of fetch's client CPU, which on a 2-core machine the
  // server would otherwise compete with (kube-apiserver, the real client, is not a Node process either).
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const { hostname, port } = new URL(base);
  const reviewBytes = Buffer.from(review);
  const post = (body: Buffer = reviewBytes, to = admissionPath) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request(
        {
          agent,
          hostname,
          port,
          path: to,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const admitOnce = async (): Promise<number> => {
    const t0 = performance.now();
    const text = await post();
    const ms = performance.now() - t0;
    const body = JSON.parse(text) as { response?: { allowed?: boolean } };
    if (body.response?.allowed !== true) throw new Error(`admission did not allow: ${text}`);
    return ms;
  };
  /** Sequential then concurrent requests before measuring: JIT, verdict cache, keep-alive pool. */
  const warmUp = async () => {
    for (let i = 0; i < WARMUP; i++) await admitOnce();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = 0; i < WARMUP / CONCURRENCY; i++) await admitOnce();
      }),
    );
  };

  await warmUp();
  const warmSeq: number[] = [];
  let bar = progress('warm, sequential', WARM);
  await server.phaseStart();
  const cpu0 = process.cpuUsage();
  let t0 = performance.now();
  for (let i = 0; i < WARM; i++) {
    warmSeq.push(await admitOnce());
    bar.tick();
  }
  const warmSeqWall = performance.now() - t0;
  const clientCpu = process.cpuUsage(cpu0);
  const warmSeqServer = await server.phaseEnd();
  const clientCpuMsPerRequest = round((clientCpu.user + clientCpu.system) / 1000 / WARM);
  bar.done();

  // Same-run floor: an empty Hono handler and the admission, alternately (same body, socket pool and moment), so
  // the machine's load shows in both figures alike.
  const floorSamples: number[] = [];
  const alternateAdmission: number[] = [];
  bar = progress('floor (empty handler) alternating with admission', WARM);
  for (let i = 0; i < WARM; i++) {
    const f0 = performance.now();
    const answer = await post(reviewBytes, server.info.floorPath);
    floorSamples.push(performance.now() - f0);
    if (!answer.includes('"ok":true')) throw new Error(`floor handler answered ${answer}`);
    alternateAdmission.push(await admitOnce());
    bar.tick();
  }
  bar.done();

  const warmConc: number[] = [];
  bar = progress(`warm, ${CONCURRENCY} concurrent`, WARM);
  let next = 0;
  await server.phaseStart();
  t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < WARM) {
        next++;
        warmConc.push(await admitOnce());
        bar.tick();
      }
    }),
  );
  const warmConcWall = performance.now() - t0;
  const warmConcServer = await server.phaseEnd();
  bar.done();

  const cold: number[] = [];
  bar = progress('cold (policy changed before each)', COLD);
  let coldWall = 0;
  for (let i = 0; i < COLD; i++) {
    // A real change through the API: the policy's version moves, so its snapshot and verdicts are gone.
    const changed = await api('PATCH', `/v1/signature/policies/${policy.id}`, { description: `cold ${i}` });
    if (changed.status !== 200) throw new Error(`policy change answered ${changed.status}`);
    const ms = await admitOnce();
    cold.push(ms);
    coldWall += ms;
    bar.tick();
  }
  bar.done();

  bar = progress('signatures', SIGNATURES);
  next = 0;
  t0 = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < SIGNATURES) {
        const i = next++;
        const r = await api('POST', '/v1/signature/signatures', {
          image: `registry.example.com/bench/signed@sha256:${createHash('sha256').update(`bench-${i}`).digest('hex')}`,
          witnessId: witness.id,
          push: false,
        });
        if (r.status !== 201) throw new Error(`signing answered ${r.status}`);
        bar.tick();
      }
    }),
  );
  const signWall = performance.now() - t0;
  bar.done();

  log('registry: images signed only in their registry (cosign .sig tags)');
  const registry = await registryFigures({
    containers: CONTAINERS,
    warm: WARM,
    warmup: WARMUP,
    cold: REGISTRY_COLD,
    api,
    clusterId: cluster.id,
    postReview: (body) => post(body),
    log,
  });

  // The same review through app.request inside the server process (no sockets): the API's own cost.
  await server.inProcess(admissionPath, review, WARMUP);
  const inProcess = await server.inProcess(admissionPath, review, WARM);

  const warmSeqStats = stats(warmSeq, warmSeqWall);
  const serverSeq = serverFigures(warmSeqServer);
  const result = {
    bench: 'signature',
    database: server.info.database === 'pglite' ? 'pglite (in-process)' : 'postgres',
    client: SAME_PROCESS ? 'same process as the server' : 'separate process (fork)',
    podContainers: CONTAINERS,
    warmupRequests: WARMUP,
    admission: {
      warmSequential: {
        ...warmSeqStats,
        cpuMsPerRequestIncludingClient: round(clientCpuMsPerRequest + warmSeqServer.cpuMsPerRequest),
        clientCpuMsPerRequest,
        server: serverSeq,
      },
      floor: {
        note: 'an empty Hono handler (same server, body and client) alternating with the admission, same run',
        emptyHandler: latency(floorSamples),
        admissionAlternating: latency(alternateAdmission),
        p99AboveFloorMs: round(latency(alternateAdmission).p99Ms - latency(floorSamples).p99Ms),
      },
      warmConcurrent: {
        concurrency: CONCURRENCY,
        ...stats(warmConc, warmConcWall),
        server: serverFigures(warmConcServer),
      },
      warmInProcessNoHttp: stats(inProcess.samples, inProcess.wallMs),
      cold: stats(cold, coldWall),
      targetWarmP99Ms: 5,
      warmP99UnderTarget: warmSeqStats.p99Ms < 5,
    },
    registry,
    signing: {
      signatures: SIGNATURES,
      concurrency: 4,
      perSecond: Math.round((SIGNATURES / signWall) * 1000),
      meanMs: Math.round((signWall / SIGNATURES) * 4 * 100) / 100,
    },
    node: process.version,
    cpus: os.cpus().length,
    loadAverage1mAtStart: loadAtStart[0],
    loadAverage: { atStart: loadAtStart, atEnd: load() },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  agent.destroy();
  await server.close();
}

runBench(main);
