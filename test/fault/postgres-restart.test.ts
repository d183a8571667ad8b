import { count, eq } from 'drizzle-orm';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { agentJobs } from '../../db/schema/agents.js';
import { playbookTaskAssets } from '../../db/schema/playbook.js';
import { createScratchPostgres } from '../database.js';
import { startDeployment } from './deployment.js';
import { postgresBinDir, startOwnPostgres } from './own-postgres.js';
import { cleanUp, cleanUpLater } from './processes.js';
import {
  agentExecutions,
  fleetWithTask,
  untilAgentsRan,
  untilApiNotReady,
  waitForFinalTaskOverHttp,
} from './world.js';

vi.setConfig({ testTimeout: 240_000 });

// A cluster of the test's own (never the shared server other tests use), in the postgres project only.
const enabled = process.env.VIGIL_TEST_DB === 'postgres' && postgresBinDir() !== null;

afterAll(cleanUp);

describe.runIf(enabled)('fault: Postgres crashes and restarts mid-task (npm run api + worker)', () => {
  it('completes the task with nothing lost or duplicated', async () => {
    const t0 = Date.now();
    const cluster = await startOwnPostgres();
    cleanUpLater(() => cluster.remove());
    const postgres = await createScratchPostgres(cluster.adminUrl, 'vigil_pgf');
    cleanUpLater(() => postgres.handle.close());
    const { db } = postgres.handle;
    const d = await startDeployment({ temporalAddress: inject('temporalAddress'), postgres });
    cleanUpLater(() => d.stop());
    const started = await fleetWithTask(d, { prefix: 'pgf' });
    const { fleet: f, taskId } = started;
    cleanUpLater(() => f.stop());
    const ready = Date.now();

    await untilAgentsRan(f, 4);
    const crashAt = Date.now();
    // A crash: no checkpoint, every connection cut.
    await cluster.stop('immediate');
    await untilApiNotReady(d.url, 'Postgres');
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
    expect(await d.stop(), d.output()).toEqual([0, 0]);
    process.stdout.write(
      `postgres restart: ready ${((ready - t0) / 1000).toFixed(1)} s; down ${((back - crashAt) / 1000).toFixed(1)} s; ` +
        `task done ${((Date.now() - back) / 1000).toFixed(1)} s after the restart\n`,
    );
  });
});
