import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

describe('the npm scripts of long-lived processes', () => {
  it('run Node with tsx as a loader, not under the tsx launcher (a second Node process of ~45–75 MB RSS)', () => {
    const { scripts } = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.start).toBe('node --import tsx platform/start.ts');
    expect(scripts.api).toBe('node --import tsx api/main.ts');
    expect(scripts.worker).toBe('node --import tsx worker/main.ts');
  });
});
