import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAccount } from '../../services/accounts/create-account.js';
import type { DatabaseHandle } from '../../db/client.js';
import { projectRoot } from '../../platform/config.js';
import { findFreePort } from '../../platform/dev-server.js';
import {
  deploymentEnv,
  prebuiltWorkflowBundle,
  startApi,
  startVigilProcess,
  startWorker,
  stopProcess,
  until,
  type VigilProcess,
} from './processes.js';

/**
 * Vigil as an operator runs it, in real processes: on Postgres the production topology (`npm run api` +
 * `npm run worker`), on PGlite the embedded `npm start` (one process; PGlite cannot be shared between processes).
 * Temporal is always the test's own server, so that a test can kill it.
 */
export interface Deployment {
  mode: 'separate' | 'embedded';
  url: string;
  apiKey: string;
  /** The API process (the whole system when embedded). */
  api: VigilProcess;
  workers: VigilProcess[];
  /** An orderly restart of the API process on the same port (SIGTERM, then start again). */
  restartApi(): Promise<void>;
  /** SIGTERM to every process; the exit codes, API first. */
  stop(): Promise<(number | null)[]>;
  /** The end of every process's output, API first: the message of a failed assertion on their exit codes. */
  output(): string;
}

/** The last lines of each process's output, named. */
function tails(procs: { name: string; proc: VigilProcess }[]): string {
  return procs.map(({ name, proc }) => `--- ${name}:\n${proc.output().slice(-3000)}`).join('\n');
}

export interface DeploymentOptions {
  temporalAddress: string;
  /** Postgres: the production topology on this database. Absent: embedded `npm start` on PGlite. */
  postgres?: { url: string; handle: DatabaseHandle };
  workers?: number;
  env?: Record<string, string>;
}

export async function startDeployment(opts: DeploymentOptions): Promise<Deployment> {
  return opts.postgres ? separate(opts, opts.postgres) : embedded(opts);
}

async function separate(
  opts: DeploymentOptions,
  postgres: { url: string; handle: DatabaseHandle },
): Promise<Deployment> {
  const env = {
    ...deploymentEnv({ databaseUrl: postgres.url, temporalAddress: opts.temporalAddress }),
    ...opts.env,
  };
  const { adminKey } = await createAccount(postgres.handle.db, { name: 'fault' });
  let api = await startApi(env);
  const port = api.port;
  const workers = await Promise.all(Array.from({ length: opts.workers ?? 1 }, () => startWorker(env)));
  const d: Deployment = {
    mode: 'separate',
    url: api.url,
    apiKey: adminKey.key,
    api,
    workers,
    async restartApi() {
      const code = await stopProcess(api);
      if (code !== 0) throw new Error(`the API exited ${code} on SIGTERM:\n${api.output().slice(-3000)}`);
      api = await startApi(env, port);
      d.api = api;
    },
    stop: () => Promise.all([api, ...workers].map((p) => stopProcess(p))),
    output: () =>
      tails([{ name: 'api', proc: api }, ...workers.map((proc, i) => ({ name: `worker ${i + 1}`, proc }))]),
  };
  return d;
}

async function embedded(opts: DeploymentOptions): Promise<Deployment> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vigil-fault-'));
  const port = await findFreePort();
  const apiKey = `vgl_${randomBytes(4).toString('hex')}_${randomBytes(20).toString('hex')}`;
  const env = {
    ...deploymentEnv({ databaseUrl: '', temporalAddress: opts.temporalAddress }),
    NODE_ENV: 'development',
    VIGIL_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    VIGIL_BOOTSTRAP_API_KEY: apiKey,
    VIGIL_WORKFLOW_BUNDLE: await prebuiltWorkflowBundle(),
    ...opts.env,
  };
  const start = async () => {
    const proc = startVigilProcess('api', env, path.join(projectRoot, 'platform/start.ts'));
    await until(
      () => proc.output().includes('Press Ctrl-C'),
      120_000,
      () => `npm start did not come up:\n${proc.output().slice(-4000)}`,
      () => proc.child.exitCode !== null,
    );
    return proc;
  };
  let api = await start();
  const d: Deployment = {
    mode: 'embedded',
    url: `http://127.0.0.1:${port}`,
    apiKey,
    api,
    workers: [],
    async restartApi() {
      const code = await stopProcess(api);
      if (code !== 0) throw new Error(`npm start exited ${code} on SIGTERM:\n${api.output().slice(-3000)}`);
      api = await start();
      d.api = api;
    },
    async stop() {
      const code = await stopProcess(api);
      rmSync(dataDir, { recursive: true, force: true });
      return [code];
    },
    output: () => tails([{ name: 'npm start', proc: api }]),
  };
  return d;
}
