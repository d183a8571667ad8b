import { and, count, eq, gt, sql } from 'drizzle-orm';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { agentJobs } from '../../db/schema/agents.js';
import { assets } from '../../db/schema/inventory.js';
import { createScratchPostgres } from '../database.js';
import { startDeployment } from './deployment.js';
import { cleanUp, cleanUpLater, until } from './processes.js';
import { agentExecutions, fleetWithTask, untilAgentsRan, waitForFinalTaskOverHttp } from './world.js';

vi.setConfig({ testTimeout: 240_000 });

const AGENTS = 100;
// The API restarts as its own process while the workers keep running: the production topology, Postgres only.
const adminUrl = process.env.TEST_DATABASE_URL;
const enabled = adminUrl !== undefined && process.env.VIGIL_TEST_DB === 'postgres';

afterAll(cleanUp);

describe.runIf(enabled)(`fault: the API restarts while ${AGENTS} agents long-poll`, () => {
  it('every agent reconnects and no job is lost or run twice', async () => {
    const t0 = Date.now();
    const postgres = await createScratchPostgres(adminUrl ?? '', 'vigil_af');
    cleanUpLater(() => postgres.handle.close());
    const { db } = postgres.handle;
    const d = await startDeployment({ temporalAddress: inject('temporalAddress'), postgres });
    cleanUpLater(() => d.stop());
    const started = await fleetWithTask(d, {
      prefix: 'af',
      assets: AGENTS,
      vulnerabilitiesPerAsset: 1,
      policy: { maxConcurrency: 50, heartbeatTimeoutSeconds: 60 },
      // Long polls of 30 s, as agents hold them in production: most agents are waiting inside one at the restart.
      agent: { latencyMs: 300, heartbeatIntervalMs: 2000, pollWaitSeconds: 30 },
    });
    const { fleet: f, taskId } = started;
    cleanUpLater(() => f.stop());
    const ready = Date.now();

    await untilAgentsRan(f, 40);
    const restartAt = new Date();
    await d.restartApi();
    const back = Date.now();

    expect(await waitForFinalTaskOverHttp(d.url, d.apiKey, taskId, 150_000)).toBe('Succeeded');
    // Every agent came back: each was heard from by the new API process.
    await until(
      async () => {
        const [row] = await db
          .select({ n: count() })
          .from(assets)
          .where(and(sql`${assets.name} like 'af-%'`, gt(assets.lastSeenAt, restartAt)));
        return row?.n === AGENTS;
      },
      60_000,
      () => 'not every agent reconnected after the restart',
    );
    // No job lost, none run twice: 100 × (precheck, fix, verification scan), each recorded once and run once.
    const jobs = await db.select({ status: agentJobs.status }).from(agentJobs);
    expect(jobs).toHaveLength(AGENTS * 3);
    expect(jobs.filter((j) => j.status !== 'succeeded')).toEqual([]);
    expect(agentExecutions(f)).toBe(AGENTS * 3);
    const [running] = await db.select({ n: count() }).from(agentJobs).where(eq(agentJobs.status, 'running'));
    expect(running?.n).toBe(0);

    await f.stop();
    expect(await d.stop(), d.output()).toEqual([0, 0]);
    process.stdout.write(
      `api restart with ${AGENTS} agents: ready ${((ready - t0) / 1000).toFixed(1)} s; restart took ` +
        `${((back - restartAt.getTime()) / 1000).toFixed(1)} s; task done ${((Date.now() - back) / 1000).toFixed(1)} s after\n`,
    );
  });
});
