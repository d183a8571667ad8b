import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from './config.js';

function run(entry: string, env: Record<string, string>) {
  const clean = { ...process.env };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'VIGIL_MASTER_KEY']) delete clean[name];
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(projectRoot, entry)], {
    cwd: projectRoot,
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('the production entry points', () => {
  it('exit 2 naming what is missing instead of starting half a system', () => {
    const api = run('api/main.ts', {});
    expect(api.status).toBe(2);
    expect(api.stderr).toContain('npm run api needs DATABASE_URL and TEMPORAL_ADDRESS');
    const worker = run('worker/main.ts', {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expect(worker.status).toBe(2);
    expect(worker.stderr).toContain('VIGIL_MASTER_KEY is not set');
  });
});
