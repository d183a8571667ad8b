import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { and, count, eq, gt, inArray } from 'drizzle-orm';
import { createAccount } from '../services/accounts/create-account.js';
import type { DatabaseHandle } from '../db/client.js';
import { assets } from '../db/schema/inventory.js';
import { playbookTaskAssets, playbookTaskSteps } from '../db/schema/playbook.js';
import { AGENT_ONLINE_WINDOW_MS } from '../domain/agent-jobs.js';
import { MAX_ASSETS_PER_BATCH } from '../domain/playbook/stages.js';
import { FINAL_ASSET_STATUSES } from '../domain/playbook/status.js';
import { findFreePort, startDevServer, type DevServer } from '../platform/dev-server.js';
import { createLogger } from '../platform/logger.js';
import { createFleet, type FleetOptions } from '../platform/playbook-fleet.js';
import { randomToken } from '../platform/secrets.js';
import { ensureTemporalCli } from '../platform/temporal-cli.js';
import { connectTemporalClient } from '../platform/temporal.js';
import { createScratchPostgres } from '../test/database.js';
import { workflowBundle } from '../worker/bundle.js';
import { installRuntime } from '../worker/logging.js';
import { VigilTaskId } from '../workflows/search-attributes.js';
import type { FleetReady } from './playbook/fleet-process.js';
import { baselineTaskWorkflow } from './playbook/baseline-workflows.js';
import { benchServiceConfig, startEmbeddedVigil } from './embedded.js';
import { progress } from './progress.js';
import { errorMessage } from '../domain/errors.js';
import { arg, args, runBench } from './cli.js';

/**
 * Playbook fan-out: one task over N assets × V vulnerabilities with zero-latency simulated agents (one per asset,
 * over real HTTP) — assets/s, steps/s, worker peak RSS, the largest history of any workflow — and, in the same run,
 * raw Temporal doing the same number of no-op activities in the same shape and concurrency.
 *
 * `npx tsx bench/playbook.ts [--assets N] [--vulns V] [--concurrency C] [--verify] [--postgres [--worker-heap MiB]]
 *  [--no-baseline] [--cpu-prof DIR]`
 *
 * Embedded (default): PGlite, API, workers and agents in this one process, as `npm start` runs them; the RSS is
 * the whole process's. `--postgres`: the production topology on a scratch database of TEST_DATABASE_URL's server —
 * `npm run api`, `npm run worker` (prebuilt workflow bundle) and the agents each in their own process; the RSS is
 * the worker process's alone (its kernel high-water mark).
 */
const ASSETS = arg('assets', 1000);
const VULNS = arg('vulns', 1);
const CONCURRENCY = arg('concurrency', 100);
const BASELINE = !args.includes('--no-baseline');
/**
 * `--verify`: the policy's verification scan after the fixes (one scan per asset re-reading every fixed package's
 * version, issue 12); without it the asset is precheck + fixes only. The baseline gets the same number of steps.
 */
const VERIFY = args.includes('--verify');
/** Old-space cap of the worker process in MiB (what docker-compose sets for the worker service); 0 = Node's default. */
const WORKER_HEAP_MIB = arg('worker-heap', 0);
/** Writes CPU profiles of the api, worker and agents processes into this folder (`--cpu-prof DIR`). */
const PROFILE_DIR = args.includes('--cpu-prof') ? args[args.indexOf('--cpu-prof') + 1] : undefined;
const profiling = (name: string) =>
  PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}/${name}`] : [];
const PG_ADMIN_URL = args.includes('--postgres')
  ? (process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test')
  : undefined;
const here = path.dirname(fileURLToPath(import.meta.url));
const log = (l: string) => process.stderr.write(`${l}\n`);

/** What the bench drives, however it is laid out in processes. */
interface System {
  baseUrl: string;
  apiKey: string;
  database: DatabaseHandle;
  fleet: { policyId: string; vulnerabilityIds: string[] };
  /** Peak RSS in bytes of the process the workers run in. */
  workerPeakRss(): number;
  /** The system's own processes by name (pids), for CPU accounting. */
  processes: Record<string, number>;
  topology: string;
  stop(): Promise<void>;
}

function fleetOptions(baseUrl: string, apiKey: string): FleetOptions {
  return {
    baseUrl,
    apiKey,
    prefix: 'bench',
    assets: ASSETS,
    vulnerabilitiesPerAsset: VULNS,
    policy: { maxConcurrency: CONCURRENCY, heartbeatTimeoutSeconds: 120, verifyAfterFix: VERIFY },
    agent: { latencyMs: 0, heartbeatIntervalMs: 5000, pollWaitSeconds: 30 },
  };
}

async function embedded(server: DevServer, prefix: string): Promise<System> {
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 200);
  const vigil = await startEmbeddedVigil(server, prefix);
  const fleet = await createFleet(fleetOptions(vigil.baseUrl, vigil.apiKey));
  return {
    baseUrl: vigil.baseUrl,
    apiKey: vigil.apiKey,
    database: vigil.database,
    fleet,
    topology: 'one process: PGlite, API, workers and agents',
    workerPeakRss: () => peak,
    processes: { 'bench (api, worker, agents)': process.pid },
    async stop() {
      clearInterval(sampler);
      await fleet.stop();
      await vigil.stop();
    },
  };
}

function start(
  script: string,
  env: Record<string, string>,
  name: string,
  nodeOptions: string[] = [],
): ChildProcess {
  const child = fork(path.join(here, script), [], {
    execArgv: ['--import', 'tsx', ...nodeOptions],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  children.push(child);
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${name}] ${d.toString()}`));
  child.on('exit', (code, signal) => {
    if (stopping) return;
    // A process of the system died mid-run: the figures would be meaningless, so the bench fails at once.
    process.stderr.write(`bench failed: the ${name} process exited (${signal ?? code})\n`);
    process.exit(1);
  });
  return child;
}

/** Set once the bench stops its processes on purpose. */
let stopping = false;
/** Every child process, killed when the bench exits for any reason (a failed run leaves nothing behind). */
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
// Node's default for these signals skips 'exit' handlers.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
function cpuSecondsOf(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0; // exited (a Postgres backend that closed)
  }
  // Fields after "pid (comm) ": state is field 3, utime 14 and stime 15, in clock ticks of 1/100 s.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Pids of every Postgres server process (the server on TEST_DATABASE_URL runs nothing else during a bench). */
function postgresPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres';
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** CPU seconds used so far by each named process. */
function cpuOf(pids: Record<string, number>): Map<string, number> {
  return new Map(Object.entries(pids).map(([name, pid]) => [name, cpuSecondsOf(pid)]));
}

/** CPU seconds used so far per part of the system (Temporal server, Postgres, and the system's own processes). */
function cpuSnapshot(system: System, temporalPid: number, withPostgres: boolean): Map<string, number> {
  const snap = cpuOf({ ...system.processes, temporal: temporalPid });
  if (withPostgres)
    snap.set(
      'postgres',
      postgresPids().reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
    );
  return snap;
}

function cpuSpent(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, end] of after) out[name] = Number((end - (before.get(name) ?? 0)).toFixed(1));
  return out;
}

/** Kernel figures of a process in bytes: current and peak resident set. */
function rssOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

async function separate(server: DevServer, prefix: string, adminUrl: string): Promise<System> {
  const { handle: database, url } = await createScratchPostgres(adminUrl, 'vigil_bench', 10);
  const { adminKey } = await createAccount(database.db, { name: 'bench' });
  log('bundling the workflows for the worker (npm run build does this for production) …');
  const bundlePath = path.join(os.tmpdir(), `${prefix}-workflow-bundle.js`);
  writeFileSync(bundlePath, (await workflowBundle()).code);
  const port = await findFreePort();
  const env = { ...benchServiceConfig(server, prefix), DATABASE_URL: url, DATABASE_POOL_MAX: '20' };
  const api = start(
    '../api/main.ts',
    { ...env, HOST: '127.0.0.1', PORT: String(port) },
    'api',
    profiling('api'),
  );
  const worker = start('../worker/main.ts', { ...env, VIGIL_WORKFLOW_BUNDLE: bundlePath }, 'worker', [
    ...(WORKER_HEAP_MIB > 0 ? [`--max-old-space-size=${WORKER_HEAP_MIB}`] : []),
    ...profiling('worker'),
  ]);
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${baseUrl}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i > 600 || api.exitCode !== null) throw new Error('the API process did not come up');
    await new Promise((r) => setTimeout(r, 100));
  }
  const workerPid = worker.pid;
  if (workerPid === undefined) throw new Error('the worker process did not start');
  let peak = 0;
  const sampler = setInterval(() => {
    if (worker.exitCode === null) peak = Math.max(peak, rssOf(workerPid).peak);
  }, 500);
  const fleetProcess = start(
    'playbook/fleet-process.ts',
    { VIGIL_BENCH_FLEET: JSON.stringify(fleetOptions(baseUrl, adminKey.key)) },
    'agents',
    profiling('agents'),
  );
  const ready = await new Promise<FleetReady>((resolve, reject) => {
    fleetProcess.once('message', (m) => resolve(m as FleetReady));
    fleetProcess.once('exit', (code) => reject(new Error(`the agents' process exited (${code})`)));
  });
  return {
    baseUrl,
    apiKey: adminKey.key,
    database,
    fleet: ready,
    topology: 'separate processes: Postgres, npm run api, npm run worker, agents',
    workerPeakRss: () => (worker.exitCode === null ? Math.max(peak, rssOf(workerPid).peak) : peak),
    processes: { api: api.pid ?? 0, worker: workerPid, agents: fleetProcess.pid ?? 0 },
    async stop() {
      stopping = true;
      clearInterval(sampler);
      if (fleetProcess.exitCode === null) fleetProcess.send('stop');
      await exited(fleetProcess);
      worker.kill('SIGTERM');
      api.kill('SIGTERM');
      await Promise.all([exited(worker), exited(api)]);
      await database.close();
    },
  };
}

async function main() {
  const loadAtStart = Math.round((os.loadavg()[0] ?? 0) * 10) / 10;
  installRuntime(createLogger('error'));
  const cliPath = await ensureTemporalCli({ log });
  const server = await startDevServer({
    cliPath,
    headless: true,
    log: () => undefined,
    extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=4096'],
  });
  const prefix = `bench-${randomToken(6)}`;
  log(`seeding ${ASSETS} assets × ${VULNS} vulnerabilities and starting ${ASSETS} agents …`);
  const system = PG_ADMIN_URL ? await separate(server, prefix, PG_ADMIN_URL) : await embedded(server, prefix);
  const temporal = await connectTemporalClient({ address: server.address, namespace: server.namespace });
  const { db } = system.database;

  // Let the fleet settle: every agent online as the precheck judges it (a fleet that just enrolled may lag behind).
  for (let i = 0; ; i++) {
    const [online] = await db
      .select({ n: count() })
      .from(assets)
      .where(
        and(
          eq(assets.agentStatus, 'online'),
          gt(assets.lastSeenAt, new Date(Date.now() - AGENT_ONLINE_WINDOW_MS)),
        ),
      );
    if ((online?.n ?? 0) >= ASSETS) break;
    if (i === 0) log(`waiting for every agent to be heard from (${online?.n ?? 0}/${ASSETS}) …`);
    if (i >= 180)
      throw new Error(`only ${online?.n ?? 0} of ${ASSETS} agents were heard from within 3 minutes`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  log('running the task …');
  const cpuBefore = cpuSnapshot(system, server.pid, PG_ADMIN_URL !== undefined);
  const started = Date.now();
  const created = await fetch(`${system.baseUrl}/v1/playbook/policies/${system.fleet.policyId}/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${system.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'bench',
      assets: { search: 'bench' },
      vulnerabilityIds: system.fleet.vulnerabilityIds,
      execution: { mode: 'now' },
    }),
  });
  const task = (await created.json()) as { id: string; assetCount: number };
  if (created.status !== 201) throw new Error(`task creation failed: ${JSON.stringify(task)}`);
  const handle = temporal.client.workflow.getHandle(`playbook-task:${task.id}`);
  const bar = progress('assets', task.assetCount);
  let shown = 0;
  const watcher = setInterval(() => {
    void db
      .select({ n: count() })
      .from(playbookTaskAssets)
      .where(
        and(
          eq(playbookTaskAssets.taskId, task.id),
          inArray(playbookTaskAssets.status, [...FINAL_ASSET_STATUSES]),
        ),
      )
      .then(
        ([r]) => {
          const n = r?.n ?? 0;
          if (n > shown) bar.tick(n - shown);
          shown = Math.max(shown, n);
        },
        (err: unknown) => log(`progress read failed: ${errorMessage(err)}`),
      );
  }, 2000);
  const result = await handle.result();
  const seconds = (Date.now() - started) / 1000;
  const cpuSecondsDuringTask = cpuSpent(
    cpuBefore,
    cpuSnapshot(system, server.pid, PG_ADMIN_URL !== undefined),
  );
  clearInterval(watcher);
  bar.done();
  const [steps] = await db
    .select({ n: count() })
    .from(playbookTaskSteps)
    .where(eq(playbookTaskSteps.taskId, task.id));
  const workerPeakRss = system.workerPeakRss();
  // Assets by outcome, and why the failed ones failed (the most frequent reasons), so a run that did not succeed
  // says what went wrong.
  const outcomes = await db
    .select({ status: playbookTaskAssets.status, reason: playbookTaskAssets.reason, n: count() })
    .from(playbookTaskAssets)
    .where(eq(playbookTaskAssets.taskId, task.id))
    .groupBy(playbookTaskAssets.status, playbookTaskAssets.reason);
  const assetsByStatus: Record<string, number> = {};
  for (const o of outcomes) assetsByStatus[o.status] = (assetsByStatus[o.status] ?? 0) + o.n;
  const failureReasons = outcomes
    .filter((o) => o.status === 'Failed')
    .sort((a, b) => b.n - a.n)
    .slice(0, 5)
    .map((o) => ({ reason: o.reason, assets: o.n }));

  log('measuring histories …');
  let largest = { workflowId: '', events: 0 };
  let workflows = 0;
  for await (const wf of temporal.client.workflow.list({ query: `${VigilTaskId.name} = '${task.id}'` })) {
    workflows++;
    if (wf.historyLength > largest.events) largest = { workflowId: wf.workflowId, events: wf.historyLength };
  }
  const parent = await handle.describe();
  if (parent.historyLength > largest.events)
    largest = { workflowId: parent.workflowId, events: parent.historyLength };
  await system.stop();

  let baseline: { activities: number; seconds: number; cpuSeconds: Record<string, number> } | null = null;
  const stepsPerAsset = 1 + VULNS + (VERIFY ? 1 : 0); // precheck, each fix, verify
  if (BASELINE) {
    log('running the raw-Temporal baseline …');
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address: server.address }),
      namespace: server.namespace,
      taskQueue: `${prefix}-baseline`,
      workflowsPath: path.join(here, 'playbook/baseline-workflows.ts'),
      activities: { noop: async () => undefined },
      maxConcurrentActivityTaskExecutions: 200,
      maxConcurrentWorkflowTaskExecutions: 100,
    });
    const baselinePids = { 'bench (worker)': process.pid, temporal: server.pid };
    const baselineCpuBefore = cpuOf(baselinePids);
    const baselineSeconds = await worker.runUntil(async () => {
      const t0 = Date.now();
      await temporal.client.workflow.execute(baselineTaskWorkflow, {
        workflowId: `${prefix}-baseline`,
        taskQueue: `${prefix}-baseline`,
        args: [{ assets: ASSETS, stepsPerAsset, concurrency: CONCURRENCY, batchSize: MAX_ASSETS_PER_BATCH }],
      });
      return (Date.now() - t0) / 1000;
    });
    baseline = {
      activities: ASSETS * stepsPerAsset,
      seconds: Number(baselineSeconds.toFixed(2)),
      cpuSeconds: cpuSpent(baselineCpuBefore, cpuOf(baselinePids)),
    };
  }

  const out = {
    bench: 'playbook',
    topology: system.topology,
    database: system.database.driver,
    loadAverageAtStart: loadAtStart,
    assets: task.assetCount,
    vulnerabilitiesPerAsset: VULNS,
    verify: VERIFY,
    concurrency: CONCURRENCY,
    status: result.status,
    assetsByStatus,
    ...(failureReasons.length > 0 ? { failureReasons } : {}),
    seconds: Number(seconds.toFixed(2)),
    assetsPerSecond: Number((task.assetCount / seconds).toFixed(1)),
    steps: steps?.n ?? 0,
    stepsPerSecond: Number(((steps?.n ?? 0) / seconds).toFixed(1)),
    workflows,
    largestHistory: largest,
    workerPeakRssMiB: Math.round(workerPeakRss / 2 ** 20),
    cpuSecondsDuringTask,
    workerHeapCapMiB: WORKER_HEAP_MIB || null,
    baseline,
    ratioToBaseline: baseline ? Number((seconds / baseline.seconds).toFixed(2)) : null,
    loadAverageAtEnd: Math.round((os.loadavg()[0] ?? 0) * 10) / 10,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  await temporal.close();
  await server.stop();
}

runBench(main, { exitWhenDone: true });
