import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../platform/config.js';
import { findFreePort, startDevServer, type DevServer } from '../../platform/dev-server.js';
import { randomToken } from '../../platform/secrets.js';
import { ensureTemporalCli } from '../../platform/temporal-cli.js';
import { workflowBundle } from '../../worker/bundle.js';
import { TEST_MASTER_KEY } from '../harness.js';
import { errorMessage } from '../../domain/errors.js';

/**
 * Real processes for the production-topology and fault tests: `npm run api` and `npm run worker` are
 * `node --import tsx api/main.ts` and `… worker/main.ts`, started here the same way (without npm) so that a signal
 * reaches Vigil itself rather than npm.
 */
export interface VigilProcess {
  role: 'api' | 'worker';
  child: ChildProcess;
  /** Everything the process printed, for a failing assertion's message. */
  output(): string;
  exited: Promise<number | null>;
}

const ENTRY = { api: 'api/main.ts', worker: 'worker/main.ts' } as const;

/** The environment of one deployment: its database, Temporal, task queues and master key. */
export interface DeploymentEnv {
  DATABASE_URL: string;
  TEMPORAL_ADDRESS: string;
  VIGIL_TASK_QUEUE_PREFIX: string;
  [name: string]: string;
}

export function deploymentEnv(opts: { databaseUrl: string; temporalAddress: string }): DeploymentEnv {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: opts.databaseUrl,
    DATABASE_POOL_MAX: '10',
    TEMPORAL_ADDRESS: opts.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    VIGIL_TASK_QUEUE_PREFIX: `f-${randomToken(8)}`,
    VIGIL_MASTER_KEY: TEST_MASTER_KEY,
    VIGIL_RATE_LIMIT_PER_MINUTE: '1000000',
  };
}

let bundlePath: Promise<string> | undefined;

/** Webpack once per test file (as `npm run build` does for the image), not once per worker process. */
export function prebuiltWorkflowBundle(): Promise<string> {
  bundlePath ??= workflowBundle().then((b) => {
    const file = path.join(os.tmpdir(), `vigil-fault-bundle-${process.pid}.js`);
    writeFileSync(file, b.code);
    cleanUpLater(() => rmSync(file, { force: true }));
    return file;
  });
  return bundlePath;
}

const running = new Set<VigilProcess>();

export function startVigilProcess(
  role: 'api' | 'worker',
  env: Record<string, string>,
  script = path.join(projectRoot, ENTRY[role]),
): VigilProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    // Only the tail matters in a failure message; a long test must not grow without bound.
    if (out.length > 400_000) out = out.slice(-200_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const proc: VigilProcess = {
    role,
    child,
    output: () => out,
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  running.add(proc);
  void proc.exited.then(() => running.delete(proc));
  return proc;
}

/** `npm run api` on a free port; resolves once `/readyz` answers 200. */
export async function startApi(
  env: Record<string, string>,
  port?: number,
): Promise<VigilProcess & { url: string; port: number }> {
  const p = port ?? (await findFreePort());
  const proc = startVigilProcess('api', { ...env, HOST: '127.0.0.1', PORT: String(p) });
  const url = `http://127.0.0.1:${p}`;
  await until(
    async () => (await fetch(`${url}/readyz`).catch(() => null))?.status === 200,
    90_000,
    () => `the API did not become ready:\n${proc.output().slice(-4000)}`,
    () => proc.child.exitCode !== null,
  );
  return Object.assign(proc, { url, port: p });
}

/** `npm run worker` with the prebuilt bundle; resolves once it logs that its workers run. */
export async function startWorker(env: Record<string, string>): Promise<VigilProcess> {
  const proc = startVigilProcess('worker', { ...env, VIGIL_WORKFLOW_BUNDLE: await prebuiltWorkflowBundle() });
  await until(
    async () => proc.output().includes('"msg":"worker running"'),
    90_000,
    () => `the worker did not start:\n${proc.output().slice(-4000)}`,
    () => proc.child.exitCode !== null,
  );
  return proc;
}

/** SIGTERM (an orderly stop, as an orchestrator sends) or SIGKILL (a crash); resolves with the exit code. */
export async function stopProcess(
  proc: VigilProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | null> {
  if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill(signal);
  return proc.exited;
}

/** Kills whatever a test left running (a failed assertion must not leave processes behind). */
export function killAll(): void {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
}

/** A Temporal dev server of the test's own (it may be killed and restarted), on its own port. */
export async function startTemporal(opts: { dbFile?: string; port?: number } = {}): Promise<DevServer> {
  return startDevServer({
    cliPath: await ensureTemporalCli(),
    headless: true,
    port: opts.port,
    dbFile: opts.dbFile,
    log: () => undefined,
  });
}

/** Polls `check` until it holds (never a fixed sleep); `failed` ends the wait early with the message. */
export async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  message: () => string,
  failed: () => boolean = () => false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (failed() || Date.now() > deadline) throw new Error(message());
    await new Promise((r) => setTimeout(r, 200));
  }
}

const cleanups: (() => unknown)[] = [];

/** Registers what the test file must undo however it ends; the latest registered runs first. */
export function cleanUpLater(undo: () => unknown): void {
  cleanups.unshift(undo);
}

/** For `afterAll`: kills the processes still running, then undoes what was registered (agents, databases, …). */
export async function cleanUp(): Promise<void> {
  killAll();
  for (const undo of cleanups.splice(0)) {
    try {
      await undo();
    } catch (err) {
      process.stderr.write(`fault test clean-up: ${errorMessage(err)}\n`);
    }
  }
}
