import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../platform/config.js';
import { freePort } from './registry.js';

const run = promisify(execFile);

/** moto's KMS API server in a throw-away virtualenv under `.tools/` (`.ci/run` makes it; tests make it if missing). */
export const MOTO_VENV = path.join(projectRoot, '.tools', 'moto-venv');
const MOTO_SERVER = path.join(MOTO_VENV, 'bin', 'moto_server');

export async function ensureMotoServer(): Promise<string> {
  if (existsSync(MOTO_SERVER)) return MOTO_SERVER;
  await run('python3', ['-m', 'venv', MOTO_VENV], { timeout: 120_000 });
  await run(path.join(MOTO_VENV, 'bin', 'pip'), ['install', '-q', 'moto[server]'], { timeout: 600_000 });
  return MOTO_SERVER;
}

export interface MotoServer {
  endpoint: string;
  stop(): Promise<void>;
}

/** A local AWS API (KMS among others) on loopback; credentials are any non-empty strings. */
export async function startMotoServer(): Promise<MotoServer> {
  const bin = await ensureMotoServer();
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited: ${stderr}`);
    const up = await fetch(`${endpoint}/moto-api/`).then(
      (r) => r.status < 500,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error(`moto_server did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    async stop() {
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}
