import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { agentJobs } from '../../db/schema/agents.js';
import { findFreePort, type DevServer } from '../../platform/dev-server.js';
import { createScratchPostgres, testDriver } from '../database.js';
import { startDeployment } from './deployment.js';
import { cleanUp, cleanUpLater, startTemporal, until } from './processes.js';
import {
  agentExecutions,
  fleetWithTask,
  untilAgentsRan,
  untilApiNotReady,
  waitForFinalTaskOverHttp,
} from './world.js';

vi.setConfig({ testTimeout: 240_000 });

const driver = testDriver();
const adminUrl = process.env.TEST_DATABASE_URL;
const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-temporal-fault-'));
afterAll(cleanUp);
cleanUpLater(() => rmSync(dir, { recursive: true, force: true }));

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
      let temporal = await startTemporal({ dbFile, port });
      cleanUpLater(() => temporal.stop());
      const postgres =
        driver === 'postgres' ? await createScratchPostgres(adminUrl ?? '', 'vigil_tf') : undefined;
      if (postgres) cleanUpLater(() => postgres.handle.close());
      const d = await startDeployment({ temporalAddress: temporal.address, postgres });
      cleanUpLater(() => d.stop());
      const started = await fleetWithTask(d, { prefix: 'tf' });
      const { fleet: f, taskId } = started;
      cleanUpLater(() => f.stop());
      const ready = Date.now();

      // Some host work has finished and more is running when Temporal dies.
      await untilAgentsRan(f, 4);
      await killTemporal(temporal, port);
      const killedAt = Date.now();
      const during = agentExecutions(f);
      // The outage lasts until the API itself reports Temporal unreachable (readyz 503), as an operator would see it.
      await untilApiNotReady(d.url, 'Temporal');
      temporal = await startTemporal({ dbFile, port });
      const back = Date.now();

      expect(await waitForFinalTaskOverHttp(d.url, d.apiKey, taskId, 150_000)).toBe('Succeeded');
      // 4 prechecks + 8 fixes + 4 verification scans: each run by an agent exactly once, across the outage.
      expect(agentExecutions(f)).toBe(16);
      if (postgres) {
        const jobs = await postgres.handle.db.select().from(agentJobs).where(eq(agentJobs.kind, 'fix'));
        expect(jobs).toHaveLength(8);
        expect(jobs.every((j) => j.status === 'succeeded')).toBe(true);
      }
      // The system's processes lived through the outage and stop in order.
      await f.stop();
      expect(await d.stop(), d.output()).toEqual(d.workers.map(() => 0).concat([0]));
      process.stdout.write(
        `temporal restart (${d.mode}): ready ${((ready - t0) / 1000).toFixed(1)} s; killed after ${during} jobs; ` +
          `down ${((back - killedAt) / 1000).toFixed(1)} s; task done ${((Date.now() - back) / 1000).toFixed(1)} s after restart\n`,
      );
    });
  },
);
