import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { serve, type ServerType } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { createAccount } from '../activities/accounts/api-keys.js';
import { bumpSignatureGeneration } from '../activities/signing/state.js';
import { createApp } from '../api/app.js';
import { openDatabase } from '../db/client.js';
import { loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { createSecretBox, generateMasterKey } from '../platform/secrets.js';
import { buildServices } from '../platform/services.js';
import { percentile, progress } from './progress.js';

/**
 * Container-signature figures over real loopback HTTP: admission latency for a Pod with 10 containers (warm
 * cache sequential and concurrent, cold cache with the account's generation bumped before each request) and
 * signatures per second through `POST /v1/signature/signatures`. Embedded PGlite; Temporal is not needed.
 * `npx tsx bench/signature.ts [--warm N] [--cold N] [--signatures N] [--concurrency C]`
 */
const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const WARM = arg('warm', 2000);
const COLD = arg('cold', 200);
const SIGNATURES = arg('signatures', 200);
const CONCURRENCY = arg('concurrency', 8);
const CONTAINERS = 10;

const digestOf = (i: number) => `sha256:${i.toString(16).padStart(2, '0').repeat(32)}`;

function stats(samples: number[], wallMs: number) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    requests: samples.length,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: percentile(sorted, 100),
    perSecond: Math.round((samples.length / wallMs) * 1000),
  };
}

async function main() {
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const loadAtStart = Math.round((os.loadavg()[0] ?? 0) * 10) / 10;
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn', VIGIL_RATE_LIMIT_PER_MINUTE: '1000000' });
  const database = await openDatabase({});
  await database.migrate();
  const services = buildServices({
    config,
    database,
    // Signing and admission never reach Temporal; a lazy connection is never dialled.
    temporal: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }),
    logger: createLogger('warn'),
    secrets: createSecretBox(Buffer.from(generateMasterKey(), 'hex')),
  });
  const app = createApp(services);
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { account, adminKey } = await createAccount(database.db, { name: 'bench' });
  const api = async <T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey.key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };

  log('setting up witness, cluster, policy and 10 signed images');
  const witness = (await api<{ id: string }>('POST', '/v1/signature/witnesses', { name: 'bench' })).body;
  const cluster = (await api<{ id: string; token: string }>('POST', '/v1/clusters', { name: 'bench' })).body;
  await api('POST', '/v1/signature/policies', {
    name: 'bench',
    witnessId: witness.id,
    clusterId: cluster.id,
    namespaces: ['prod'],
    enabled: true,
    mode: 'enforce',
  });
  const images = Array.from(
    { length: CONTAINERS },
    (_, i) => `registry.example.com/bench/svc${i}@${digestOf(i + 1)}`,
  );
  for (const image of images) await api('POST', '/v1/signature/signatures', { image, witnessId: witness.id });
  const review = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'bench',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      namespace: 'prod',
      operation: 'CREATE',
      object: {
        metadata: { name: 'bench' },
        spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
      },
    },
  });
  const admitOnce = async (): Promise<number> => {
    const t0 = performance.now();
    const res = await fetch(`${base}/admission/v1/validate/${cluster.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: review,
    });
    const body = (await res.json()) as { response?: { allowed?: boolean } };
    const ms = performance.now() - t0;
    if (body.response?.allowed !== true) throw new Error(`admission did not allow: ${JSON.stringify(body)}`);
    return ms;
  };

  // Warm-up: fills the verdict cache and the HTTP keep-alive pool.
  for (let i = 0; i < 50; i++) await admitOnce();

  const warmSeq: number[] = [];
  let bar = progress('warm, sequential', WARM);
  const cpu0 = process.cpuUsage();
  let t0 = performance.now();
  for (let i = 0; i < WARM; i++) {
    warmSeq.push(await admitOnce());
    bar.tick();
  }
  const warmSeqWall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // Server and client share this process: CPU per request is an upper bound of the server's own work.
  const warmCpuMsPerRequest = Math.round(((cpu.user + cpu.system) / 1000 / WARM) * 100) / 100;
  bar.done();

  const warmConc: number[] = [];
  bar = progress(`warm, ${CONCURRENCY} concurrent`, WARM);
  let next = 0;
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
  bar.done();

  const cold: number[] = [];
  bar = progress('cold (cache emptied before each)', COLD);
  let coldWall = 0;
  for (let i = 0; i < COLD; i++) {
    await bumpSignatureGeneration(database.db, account.id);
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
        });
        if (r.status !== 201) throw new Error(`signing answered ${r.status}`);
        bar.tick();
      }
    }),
  );
  const signWall = performance.now() - t0;
  bar.done();

  // Last, so its idle time cannot expire the HTTP keep-alive sockets used above.
  // The same review through app.request (no sockets): the API's own cost, without the HTTP client and server.
  const inProcess: number[] = [];
  t0 = performance.now();
  for (let i = 0; i < WARM; i++) {
    const s0 = performance.now();
    const res = await app.request(`/admission/v1/validate/${cluster.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: review,
    });
    await res.arrayBuffer();
    inProcess.push(performance.now() - s0);
  }
  const inProcessWall = performance.now() - t0;

  const result = {
    bench: 'signature',
    database: 'pglite (in-process)',
    podContainers: CONTAINERS,
    admission: {
      warmSequential: { ...stats(warmSeq, warmSeqWall), cpuMsPerRequestIncludingClient: warmCpuMsPerRequest },
      warmConcurrent: { concurrency: CONCURRENCY, ...stats(warmConc, warmConcWall) },
      warmInProcessNoHttp: stats(inProcess, inProcessWall),
      cold: stats(cold, coldWall),
      targetWarmP99Ms: 5,
      warmP99UnderTarget: stats(warmSeq, warmSeqWall).p99Ms < 5,
    },
    signing: {
      signatures: SIGNATURES,
      concurrency: 4,
      perSecond: Math.round((SIGNATURES / signWall) * 1000),
      meanMs: Math.round((signWall / SIGNATURES) * 4 * 100) / 100,
    },
    node: process.version,
    cpus: os.cpus().length,
    loadAverage1mAtStart: loadAtStart,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  services.mailer.close();
  await database.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
