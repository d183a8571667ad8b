import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { NativeConnection, Worker } from '@temporalio/worker';
import { count, eq } from 'drizzle-orm';
import { createAccount } from '../activities/accounts/api-keys.js';
import { createApp } from '../api/app.js';
import { openDatabase } from '../db/client.js';
import { playbookTaskSteps } from '../db/schema/playbook.js';
import { MAX_ASSETS_PER_BATCH } from '../domain/playbook/stages.js';
import { loadConfig } from '../platform/config.js';
import { startDevServer } from '../platform/dev-server.js';
import { createLogger } from '../platform/logger.js';
import { createFleet } from '../platform/playbook-fleet.js';
import { createSecretBox, randomToken } from '../platform/secrets.js';
import { buildServices } from '../platform/services.js';
import { ensureTemporalCli } from '../platform/temporal-cli.js';
import { connectTemporalClient } from '../platform/temporal.js';
import { createWorkers } from '../worker/worker.js';
import { VigilTaskId } from '../workflows/search-attributes.js';
import { baselineTaskWorkflow } from './playbook/baseline-workflows.js';

/**
 * Playbook fan-out: one task over N assets × V vulnerabilities with zero-latency simulated agents (one per asset,
 * all in this process over real HTTP) — assets/s, steps/s, peak RSS, the largest history of any workflow — and,
 * in the same run, raw Temporal doing the same number of no-op activities in the same shape and concurrency.
 * `npx tsx bench/playbook.ts [--assets N] [--vulns V] [--concurrency C] [--postgres]`
 * RSS is this process's: API, workers and the simulated agents together (an upper bound for the worker alone).
 */
const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ASSETS = arg('assets', 1000);
const VULNS = arg('vulns', 1);
const CONCURRENCY = arg('concurrency', 100);
const PG_URL = args.includes('--postgres')
  ? (process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test')
  : undefined;
const MASTER_KEY = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const log = (l: string) => process.stderr.write(`${l}\n`);

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 200);

async function main() {
  const cliPath = await ensureTemporalCli({ log });
  const server = await startDevServer({
    cliPath,
    headless: true,
    log: () => undefined,
    extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=4096'],
  });
  const database = await openDatabase({ url: PG_URL, poolMax: 20 });
  await database.migrate();
  const prefix = `bench-${randomToken(6)}`;
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    TEMPORAL_ADDRESS: server.address,
    VIGIL_TASK_QUEUE_PREFIX: prefix,
    VIGIL_MASTER_KEY: MASTER_KEY,
    VIGIL_RATE_LIMIT_PER_MINUTE: '100000000',
  });
  const temporal = await connectTemporalClient({ address: server.address, namespace: server.namespace });
  const services = buildServices({
    config,
    database,
    temporal: temporal.client,
    logger: createLogger('error'),
    secrets: createSecretBox(Buffer.from(MASTER_KEY, 'hex')),
  });
  const workers = await createWorkers({
    deps: services,
    address: server.address,
    namespace: server.namespace,
    shutdownGraceTime: '1s',
  });
  void workers.run();
  const app = createApp(services);
  const http: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const { adminKey } = await createAccount(database.db, { name: 'bench' });

  log(`seeding ${ASSETS} assets × ${VULNS} vulnerabilities and starting ${ASSETS} agents …`);
  const fleet = await createFleet({
    baseUrl,
    apiKey: adminKey.key,
    prefix: 'bench',
    assets: ASSETS,
    vulnerabilitiesPerAsset: VULNS,
    policy: { maxConcurrency: CONCURRENCY, heartbeatTimeoutSeconds: 120 },
    agent: { latencyMs: 0, heartbeatIntervalMs: 5000, pollWaitSeconds: 25 },
  });
  const rssBefore = process.memoryUsage().rss;
  log('running the task …');
  const started = Date.now();
  const created = await fetch(`${baseUrl}/v1/playbook/policies/${fleet.policyId}/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'bench',
      assets: { search: 'bench' },
      vulnerabilityIds: fleet.vulnerabilityIds,
      execution: { mode: 'now' },
    }),
  });
  const task = (await created.json()) as { id: string; assetCount: number };
  if (created.status !== 201) throw new Error(`task creation failed: ${JSON.stringify(task)}`);
  const handle = temporal.client.workflow.getHandle(`playbook-task:${task.id}`);
  const result = await handle.result();
  const seconds = (Date.now() - started) / 1000;
  const [steps] = await database.db
    .select({ n: count() })
    .from(playbookTaskSteps)
    .where(eq(playbookTaskSteps.taskId, task.id));

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
  await fleet.stop();
  await workers.shutdown();

  log('running the raw-Temporal baseline …');
  const stepsPerAsset = 2 + VULNS; // precheck, each fix, verify
  const baseline = await Worker.create({
    connection: await NativeConnection.connect({ address: server.address }),
    namespace: server.namespace,
    taskQueue: `${prefix}-baseline`,
    workflowsPath: path.join(path.dirname(fileURLToPath(import.meta.url)), 'playbook/baseline-workflows.ts'),
    activities: { noop: async () => undefined },
    maxConcurrentActivityTaskExecutions: 200,
    maxConcurrentWorkflowTaskExecutions: 100,
  });
  const baselineSeconds = await baseline.runUntil(async () => {
    const t0 = Date.now();
    await temporal.client.workflow.execute(baselineTaskWorkflow, {
      workflowId: `${prefix}-baseline`,
      taskQueue: `${prefix}-baseline`,
      args: [{ assets: ASSETS, stepsPerAsset, concurrency: CONCURRENCY, batchSize: MAX_ASSETS_PER_BATCH }],
    });
    return (Date.now() - t0) / 1000;
  });

  clearInterval(sampler);
  const out = {
    bench: 'playbook',
    database: database.driver,
    assets: task.assetCount,
    vulnerabilitiesPerAsset: VULNS,
    concurrency: CONCURRENCY,
    status: result.status,
    seconds: Number(seconds.toFixed(2)),
    assetsPerSecond: Number((task.assetCount / seconds).toFixed(1)),
    steps: steps?.n ?? 0,
    stepsPerSecond: Number(((steps?.n ?? 0) / seconds).toFixed(1)),
    workflows,
    largestHistory: largest,
    peakRssMiB: Math.round(peakRss / 2 ** 20),
    rssAfterSeedingMiB: Math.round(rssBefore / 2 ** 20),
    baseline: { activities: ASSETS * stepsPerAsset, seconds: Number(baselineSeconds.toFixed(2)) },
    ratioToBaseline: Number((seconds / baselineSeconds).toFixed(2)),
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  await new Promise<void>((r) => http.close(() => r()));
  await temporal.close();
  await database.close();
  await server.stop();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
