import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../platform/config.js';
import { findFreePort } from '../platform/dev-server.js';
import { ensureTemporalCli } from '../platform/temporal-cli.js';
import { testDriver } from './database.js';
import postgres from 'postgres';

async function launch(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; out: string }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'platform/start.ts')], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 150_000;
  while (!out.includes('Press Ctrl-C') && Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(out).toContain('Press Ctrl-C');
  const port = env.PORT ?? '';
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
  expect(ready.status).toBe(200);
  process.stdout.write(`npm start ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return {
    child,
    get out() {
      return out;
    },
  };
}

async function stopVigil(child: ChildProcess): Promise<void> {
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stopAt = Date.now();
  child.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(Date.now() - stopAt).toBeLessThan(10_000);
}

/** Runs the real `npm start` code path (platform/start.ts) in a child process, as a newcomer would. */
describe('npm start', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-start-'));
  let child: ChildProcess | undefined;
  let dbName: string | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    if (dbName && process.env.TEST_DATABASE_URL) {
      const admin = postgres(process.env.TEST_DATABASE_URL, { max: 1, onnotice: () => undefined });
      await admin.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('starts everything, serves the printed key, and stops cleanly on SIGINT leaving nothing behind', async () => {
    const [port, devPort, uiPort] = [await findFreePort(), await findFreePort(), await findFreePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      VIGIL_DATA_DIR: dataDir,
      PORT: String(port),
      TEMPORAL_DEV_PORT: String(devPort),
      TEMPORAL_UI_PORT: String(uiPort),
      TEMPORAL_CLI_PATH: await ensureTemporalCli(),
      LOG_LEVEL: 'warn',
    };
    delete env.TEMPORAL_ADDRESS;
    delete env.DATABASE_URL;
    if (testDriver() === 'postgres' && process.env.TEST_DATABASE_URL) {
      dbName = `vigil_start_${Date.now()}`;
      const admin = postgres(process.env.TEST_DATABASE_URL, { max: 1, onnotice: () => undefined });
      await admin.unsafe(`CREATE DATABASE ${dbName}`);
      await admin.end();
      const url = new URL(process.env.TEST_DATABASE_URL);
      url.pathname = `/${dbName}`;
      env.DATABASE_URL = url.toString();
    }
    const first = await launch(env);
    const out = first.out;
    child = first.child;
    const key = /(vgl_[A-Za-z0-9]{8}_[A-Za-z0-9]{32,})/.exec(out)?.[1];
    expect(key, out).toBeTruthy();
    expect(out).toContain(`http://127.0.0.1:${port}/docs`);
    expect(out).toContain(`http://127.0.0.1:${uiPort}`);

    const base = `http://127.0.0.1:${port}`;
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const upsert = await fetch(`${base}/v1/assets`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        assets: [{ name: 'e2e-1', hostname: 'e2e-1', ips: ['192.0.2.1'], osFamily: 'linux' }],
      }),
    });
    expect(upsert.status).toBe(200);
    const list = (await (await fetch(`${base}/v1/assets?search=e2e`, { headers: auth })).json()) as {
      items: { name: string }[];
    };
    expect(list.items.map((a) => a.name)).toEqual(['e2e-1']);
    expect((await fetch(`${base}/docs`)).status).toBe(200);

    await stopVigil(first.child);

    // A second start finds the data of the first: no new account, the same key, the same assets.
    const second = await launch(env);
    child = second.child;
    expect(second.out).not.toContain('Created the default account');
    const again = (await (await fetch(`${base}/v1/assets?search=e2e`, { headers: auth })).json()) as {
      items: { name: string }[];
    };
    expect(again.items.map((a) => a.name)).toEqual(['e2e-1']);
    await stopVigil(second.child);

    // Nothing left running: no process mentions this run's data folder, and the dev server's port is closed.
    const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
    expect(ps.split('\n').filter((l) => l.includes(dataDir))).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${uiPort}/`)).rejects.toThrow();
  });
});
