import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { accounts } from '../../db/schema/accounts.js';
import { agentJobs } from '../../db/schema/agents.js';
import { createTestContext, TEST_MASTER_KEY, type TestContext } from '../harness.js';
import { createTask, isFinal, playbookWorld, waitForTask, type PlaybookWorld } from './helpers.js';

// A shared 2-core machine can be slow: host work, timers and polling get room (tests still poll, never sleep).
vi.setConfig({ testTimeout: 400_000 });

// Two processes share the database, so this test runs on Postgres in every project (PGlite lives in one process).
const postgresUrl = process.env.TEST_DATABASE_URL;
if (postgresUrl) process.env.VIGIL_TEST_DB = 'postgres';

const here = path.dirname(fileURLToPath(import.meta.url));
let ctx: TestContext;
let w: PlaybookWorld;
let databaseUrl: string;
const children = new Set<ChildProcess>();

function startWorkerProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'worker-process.ts')], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: ctx.config.TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: ctx.config.TEMPORAL_NAMESPACE,
      VIGIL_TASK_QUEUE_PREFIX: ctx.config.VIGIL_TASK_QUEUE_PREFIX,
      VIGIL_MASTER_KEY: TEST_MASTER_KEY,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('worker ready')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker process exited early (${code})`)));
  });
}

beforeAll(async () => {
  if (!postgresUrl) return;
  ctx = await createTestContext({ workers: false });
  w = await playbookWorld(ctx, {
    prefix: 'crash',
    assets: 4,
    vulnerabilitiesPerAsset: 2,
    agent: { latencyMs: 800 },
    policy: { maxConcurrency: 2, heartbeatTimeoutSeconds: 10 },
  });
  const [row] = await ctx.database.db
    .select({ name: sql<string>`current_database()` })
    .from(accounts)
    .where(eq(accounts.id, w.accountId));
  const url = new URL(postgresUrl);
  url.pathname = `/${row?.name ?? ''}`;
  databaseUrl = url.toString();
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await w?.fleet.stop();
  await ctx?.close();
});

describe.runIf(postgresUrl !== undefined)('Playbook: the worker process is killed mid-task', () => {
  it('completes after a restart and every agent job ran exactly once', async () => {
    const first = await startWorkerProcess();
    const task = await createTask(w);
    // Let some host work finish, then kill the worker without warning.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [done] = await ctx.database.db
        .select({ n: count() })
        .from(agentJobs)
        .where(
          sql`${agentJobs.accountId} = ${w.accountId} and ${agentJobs.kind} = 'fix' and ${agentJobs.status} = 'succeeded'`,
        );
      if ((done?.n ?? 0) >= 2) break;
      if (Date.now() > deadline) throw new Error('no fix finished before the kill');
      await new Promise((r) => setTimeout(r, 100));
    }
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    await startWorkerProcess();

    const done = await waitForTask(w, task.id, isFinal, 120_000);
    expect(done.status).toBe('Succeeded');
    const jobs = await ctx.database.db.select().from(agentJobs).where(eq(agentJobs.accountId, w.accountId));
    // 4 prechecks + 8 fixes + 4 verification scans, each recorded once …
    expect(jobs).toHaveLength(16);
    expect(jobs.every((j) => j.status === 'succeeded')).toBe(true);
    // … and each run by an agent exactly once.
    const executions = [...w.fleet.agents.values()].reduce(
      (n, a) => n + a.stats().done + a.stats().failed,
      0,
    );
    expect(executions).toBe(16);
  });
});
