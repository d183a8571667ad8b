import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import postgres from 'postgres';
import { createAccount } from '../services/accounts/create-account.js';
import { createEnrollmentToken } from '../services/agents/create-enrollment-token.js';
import { startAgent, type RunningAgent } from '../agent/agent.js';
import { createApp } from '../api/app.js';
import { openDatabase } from '../db/client.js';
import { projectRoot } from '../platform/config.js';
import { startDevServer } from '../platform/dev-server.js';
import { ensureTemporalCli } from '../platform/temporal-cli.js';
import { taskQueues } from '../worker/task-queues.js';
import { createWorkers } from '../worker/worker.js';
import { runAgentJobWorkflow } from '../workflows/agent-jobs.js';
import { percentile, progress } from './progress.js';
import { waitFor } from './wait-for.js';
import { arg, args, runBench } from './cli.js';
import { connectedServices } from './embedded.js';

/**
 * Agent protocol figures: N agent jobs (each a `runAgentJobWorkflow`) through M in-process simulated agents over
 * real HTTP with zero latency — jobs/s, end-to-end latency percentiles, HTTP requests per job, peak RSS — then a
 * few jobs through the real CLI agent (`tsx agent/main.ts`) as a child process.
 * `npx tsx bench/agents.ts [--jobs N] [--agents M] [--concurrency C]`
 */
const JOBS = arg('jobs', 1000);
const AGENTS = arg('agents', 50);
const CONCURRENCY = arg('concurrency', 100);
const CLI_JOBS = arg('cli-jobs', 10);
/** `--postgres` runs on the Postgres of TEST_DATABASE_URL (a fresh database, dropped after) instead of PGlite. */
const PG_URL = args.includes('--postgres')
  ? (process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test')
  : undefined;

async function main() {
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const cliPath = await ensureTemporalCli({ log });
  const server = await startDevServer({ cliPath, headless: true, log: () => undefined });
  let dropDatabase = async () => undefined as void;
  let url: string | undefined;
  if (PG_URL) {
    const name = `vigil_bench_agents_${Date.now()}`;
    const admin = postgres(PG_URL, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`CREATE DATABASE ${name}`);
    const u = new URL(PG_URL);
    u.pathname = `/${name}`;
    url = u.toString();
    dropDatabase = async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    };
  }
  const database = await openDatabase({ url, poolMax: 20 });
  await database.migrate();
  const { temporal, services } = await connectedServices(
    server,
    database,
    {
      LOG_LEVEL: 'silent',
      TEMPORAL_ADDRESS: server.address,
      VIGIL_TASK_QUEUE_PREFIX: 'bench-agents',
      VIGIL_MASTER_KEY: 'b'.repeat(64),
    },
    Buffer.alloc(32, 9),
  );
  const workers = await createWorkers({
    deps: services,
    address: server.address,
    namespace: server.namespace,
  });
  void workers.run();
  let requests = 0;
  const app = createApp(services);
  const http: ServerType = await new Promise((resolve) => {
    const s = serve(
      {
        fetch: (req: Request) => {
          requests++;
          return app.fetch(req);
        },
        hostname: '127.0.0.1',
        port: 0,
      },
      () => resolve(s),
    );
  });
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const { account } = await createAccount(database.db, { name: 'bench' });
  const { token } = await createEnrollmentToken(
    database.db,
    { accountId: account.id, actor: 'bench' },
    { expiresInHours: 1, maxUses: AGENTS + 1 },
  );

  const agents: RunningAgent[] = Array.from({ length: AGENTS }, (_, i) =>
    startAgent({
      server: base,
      enrollToken: token,
      executor: 'simulate',
      executorOptions: { latencyMs: 0, seed: i },
      identity: { hostname: `bench-${i}`, instanceId: `i-bench-${i}`, osFamily: 'linux', ips: [] },
    }),
  );
  const assetIds = (await Promise.all(agents.map((a) => a.ready))).map((r) => r.assetId);

  const runJobs = async (
    count: number,
    targets: string[],
    label: string,
    taskQueue = services.taskQueues.playbook,
  ) => {
    const latencies: number[] = [];
    const bar = progress(label, count);
    let next = 0;
    let failed = 0;
    const started = performance.now();
    const requestsBefore = requests;
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, count) }, async () => {
        while (next < count) {
          const i = next++;
          const t = performance.now();
          const result = await temporal.client.workflow.execute(runAgentJobWorkflow, {
            taskQueue,
            workflowId: `bench-agent-job:${label}:${i}`,
            args: [
              {
                accountId: account.id,
                assetId: targets[i % targets.length] ?? '',
                kind: 'fix',
                jobKey: `${label}:${i}`,
                payload: { packageName: `pkg-${i}` },
              },
            ],
          });
          if (result.status !== 'succeeded') failed++;
          latencies.push(performance.now() - t);
          bar.tick();
        }
      }),
    );
    bar.done();
    const wallMs = performance.now() - started;
    latencies.sort((a, b) => a - b);
    return {
      jobs: count,
      failed,
      wallMs: Math.round(wallMs),
      jobsPerSecond: Math.round((count / wallMs) * 1000 * 10) / 10,
      latencyMs: {
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
      },
      httpRequestsPerJob: Math.round(((requests - requestsBefore) / count) * 10) / 10,
    };
  };

  // Baseline: the same workflow on its own task queue, its activity replaced by one that returns at once — what
  // Temporal alone costs on this machine, at the same concurrency.
  const baselineServices = { ...services, taskQueues: taskQueues('bench-baseline') };
  const baselineWorkers = await createWorkers({
    deps: baselineServices,
    address: server.address,
    namespace: server.namespace,
    extraActivities: {
      runAgentJob: async () => ({
        jobId: 'baseline',
        status: 'succeeded' as const,
        exitCode: 0,
        output: '',
        details: {},
        startedAt: null,
        finishedAt: new Date().toISOString(),
      }),
    },
  });
  void baselineWorkers.run();
  const baseline = await runJobs(JOBS, assetIds, 'baseline', baselineServices.taskQueues.playbook);
  await baselineWorkers.shutdown();

  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const inProcess = await runJobs(JOBS, assetIds, 'in-process');
  clearInterval(rssTimer);
  await Promise.all(agents.map((a) => a.stop({ graceful: true })));

  // The real CLI agent as a child process, enrolled with the same token.
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'vigil-bench-agent-'));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(projectRoot, 'agent/main.ts'),
      '--server',
      base,
      '--enroll',
      token,
      '--executor',
      'simulate',
      '--latency-ms',
      '0',
      '--state-dir',
      stateDir,
      '--hostname',
      'bench-cli',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let cliLog = '';
  child.stdout.on('data', (d: Buffer) => (cliLog += d.toString()));
  const cliAsset = await waitFor(async () => {
    const m = /for asset ([0-9a-f-]{36})/.exec(cliLog);
    return m?.[1];
  });
  const cli = await runJobs(CLI_JOBS, [cliAsset], 'cli');
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  await rm(stateDir, { recursive: true, force: true });

  process.stdout.write(
    `${JSON.stringify(
      {
        bench: 'agents',
        database: database.driver,
        agents: AGENTS,
        concurrency: CONCURRENCY,
        inProcess,
        baseline,
        ratioToBaseline: Math.round((inProcess.wallMs / baseline.wallMs) * 100) / 100,
        peakRssMiB: Math.round(peakRss / 2 ** 20),
        cliAgent: { ...cli, logLines: cliLog.trim().split('\n').length },
      },
      null,
      2,
    )}\n`,
  );

  await new Promise<void>((r) => http.close(() => r()));
  await workers.shutdown();
  await temporal.close();
  await database.close();
  await dropDatabase();
  await server.stop();
}

runBench(main);
