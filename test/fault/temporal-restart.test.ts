import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { DatabaseHandle } from '../../db/client.js';
import { agentJobs } from '../../db/schema/agents.js';
import { findFreePort, type DevServer } from '../../platform/dev-server.js';
import { createFleet, type Fleet } from '../../platform/playbook-fleet.js';
import { createScratchPostgres, testDriver } from '../database.js';
import { startDeployment, type Deployment } from './deployment.js';
import { killAll, startTemporal, until } from './processes.js';
import { agentExecutions, createTaskOverHttp, waitForFinalTaskOverHttp } from './world.js';

vi.setConfig({ testTimeout: 240_000 });

const driver = testDriver();
const adminUrl = process.env.TEST_DATABASE_URL;
const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-temporal-fault-'));
let temporal: DevServer | undefined;
let database: DatabaseHandle | undefined;
let deployment: Deployment | undefined;
let fleet: Fleet | undefined;
afterAll(async () => {
  await fleet?.stop();
  await deployment?.stop();
  killAll();
  await temporal?.stop();
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** SIGKILL to the dev server's whole process group: a crash, not a shutdown. */
async function killTemporal(server: DevServer, port: number): Promise<void> {
  process.kill(-server.pid, 'SIGKILL');
  await until(
    async () =>
      !(await fetch(`http://127.0.0.1:${port}`).then(
        () => true,
        (err: unknown) => !String((err as { cause?: unknown }).cause).includes('ECONNREFUSED'),
      )),
    20_000,
    () => 'the Temporal dev server did not die',
  );
}

describe.runIf(driver === 'pglite' || adminUrl !== undefined)(
  `fault: the Temporal server is killed and restarted mid-task (${driver === 'pglite' ? 'npm start on PGlite' : 'npm run api + worker on Postgres'})`,
  () => {
    it('completes the task on the persistent Temporal database and runs each agent job once', async () => {
      const t0 = Date.now();
      const port = await findFreePort();
      const dbFile = path.join(dir, 'temporal.sqlite');
      temporal = await startTemporal({ dbFile, port });
      const postgres =
        driver === 'postgres' ? await createScratchPostgres(adminUrl ?? '', 'vigil_tf') : undefined;
      database = postgres?.handle;
      deployment = await startDeployment({ temporalAddress: temporal.address, postgres });
      const d = deployment;
      fleet = await createFleet({
        baseUrl: d.url,
        apiKey: d.apiKey,
        prefix: 'tf',
        assets: 4,
        vulnerabilitiesPerAsset: 2,
        policy: { maxConcurrency: 2, heartbeatTimeoutSeconds: 60 },
        agent: { latencyMs: 800, heartbeatIntervalMs: 1000, pollWaitSeconds: 5 },
      });
      const f = fleet;
      const taskId = await createTaskOverHttp(d.url, d.apiKey, f);
      const ready = Date.now();

      // Some host work has finished and more is running when Temporal dies.
      await until(
        () => agentExecutions(f) >= 4,
        90_000,
        () => 'no agent job finished before the kill',
      );
      await killTemporal(temporal, port);
      const killedAt = Date.now();
      const during = agentExecutions(f);
      // The outage lasts until the API itself reports Temporal unreachable (readyz 503), as an operator would see it.
      await until(
        async () => (await fetch(`${d.url}/readyz`)).status === 503,
        60_000,
        () => 'the API never noticed that Temporal was down',
      );
      temporal = await startTemporal({ dbFile, port });
      const back = Date.now();

      expect(await waitForFinalTaskOverHttp(d.url, d.apiKey, taskId, 150_000)).toBe('Succeeded');
      // 4 prechecks + 8 fixes + 4 verification scans: each run by an agent exactly once, across the outage.
      expect(agentExecutions(f)).toBe(16);
      if (database) {
        const jobs = await database.db.select().from(agentJobs).where(eq(agentJobs.kind, 'fix'));
        expect(jobs).toHaveLength(8);
        expect(jobs.every((j) => j.status === 'succeeded')).toBe(true);
      }
      // The system's processes lived through the outage and stop in order.
      await f.stop();
      expect(await d.stop()).toEqual(d.workers.map(() => 0).concat([0]));
      process.stdout.write(
        `temporal restart (${d.mode}): ready ${((ready - t0) / 1000).toFixed(1)} s; killed after ${during} jobs; ` +
          `down ${((back - killedAt) / 1000).toFixed(1)} s; task done ${((Date.now() - back) / 1000).toFixed(1)} s after restart\n`,
      );
    });
  },
);
