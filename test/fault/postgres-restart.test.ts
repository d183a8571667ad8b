import { count, eq } from 'drizzle-orm';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import type { DatabaseHandle } from '../../db/client.js';
import { agentJobs } from '../../db/schema/agents.js';
import { playbookTaskAssets } from '../../db/schema/playbook.js';
import { createFleet, type Fleet } from '../../platform/playbook-fleet.js';
import { createScratchPostgres } from '../database.js';
import { startDeployment, type Deployment } from './deployment.js';
import { postgresBinDir, startOwnPostgres, type OwnPostgres } from './own-postgres.js';
import { killAll, until } from './processes.js';
import { agentExecutions, createTaskOverHttp, waitForFinalTaskOverHttp } from './world.js';

vi.setConfig({ testTimeout: 240_000 });

// A cluster of the test's own (never the shared server other tests use), in the postgres project only.
const enabled = process.env.VIGIL_TEST_DB === 'postgres' && postgresBinDir() !== null;

let cluster: OwnPostgres | undefined;
let database: DatabaseHandle | undefined;
let deployment: Deployment | undefined;
let fleet: Fleet | undefined;
afterAll(async () => {
  await fleet?.stop();
  await deployment?.stop();
  killAll();
  await database?.close().catch(() => undefined);
  cluster?.remove();
});

describe.runIf(enabled)('fault: Postgres crashes and restarts mid-task (npm run api + worker)', () => {
  it('completes the task with nothing lost or duplicated', async () => {
    const t0 = Date.now();
    cluster = await startOwnPostgres();
    const postgres = await createScratchPostgres(cluster.adminUrl, 'vigil_pgf');
    database = postgres.handle;
    const { db } = database;
    deployment = await startDeployment({ temporalAddress: inject('temporalAddress'), postgres });
    const d = deployment;
    fleet = await createFleet({
      baseUrl: d.url,
      apiKey: d.apiKey,
      prefix: 'pgf',
      assets: 4,
      vulnerabilitiesPerAsset: 2,
      policy: { maxConcurrency: 2, heartbeatTimeoutSeconds: 60 },
      agent: { latencyMs: 800, heartbeatIntervalMs: 1000, pollWaitSeconds: 5 },
    });
    const f = fleet;
    const taskId = await createTaskOverHttp(d.url, d.apiKey, f);
    const ready = Date.now();

    await until(
      () => agentExecutions(f) >= 4,
      90_000,
      () => 'no agent job finished before the crash',
    );
    const crashAt = Date.now();
    // A crash: no checkpoint, every connection cut.
    await cluster.stop('immediate');
    await until(
      async () => (await fetch(`${d.url}/readyz`)).status === 503,
      60_000,
      () => 'the API never noticed that Postgres was down',
    );
    await cluster.start();
    const back = Date.now();

    expect(await waitForFinalTaskOverHttp(d.url, d.apiKey, taskId, 150_000)).toBe('Succeeded');
    // 4 prechecks + 8 fixes + 4 verification scans: each recorded once, succeeded, and run by an agent once.
    const jobs = await db.select({ status: agentJobs.status }).from(agentJobs);
    expect(jobs).toHaveLength(16);
    expect(jobs.every((j) => j.status === 'succeeded')).toBe(true);
    expect(agentExecutions(f)).toBe(16);
    const [succeeded] = await db
      .select({ n: count() })
      .from(playbookTaskAssets)
      .where(eq(playbookTaskAssets.status, 'Succeeded'));
    expect(succeeded?.n).toBe(4);

    await f.stop();
    expect(await d.stop()).toEqual([0, 0]);
    process.stdout.write(
      `postgres restart: ready ${((ready - t0) / 1000).toFixed(1)} s; down ${((back - crashAt) / 1000).toFixed(1)} s; ` +
        `task done ${((Date.now() - back) / 1000).toFixed(1)} s after the restart\n`,
    );
  });
});
