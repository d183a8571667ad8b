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

describe('the composition root', () => {
  it('loads neither mjml nor the AWS KMS SDK until a mail is rendered or a KMS is called', () => {
    const probe = `
      import { createRequire } from 'node:module';
      await import(${JSON.stringify(path.join(projectRoot, 'platform/vigil.ts'))});
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      const packages = ['mjml', 'mjml-core', '@aws-sdk/client-kms', '@temporalio/worker'];
      console.log(JSON.stringify(packages.filter((p) => loaded.some((k) => k.includes('/node_modules/' + p + '/')))));
    `;
    const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', probe], {
      cwd: projectRoot,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(out.stderr).toBe('');
    // @temporalio/worker shows that the probe sees what the root loads.
    expect(JSON.parse(out.stdout)).toEqual(['@temporalio/worker']);
  });
});

describe('the production build', () => {
  it('type-checks with tsconfig.build.json (what `npm run build` and the image compile), test helpers left out', () => {
    const tsc = spawnSync(
      process.execPath,
      [path.join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--noEmit'],
      { cwd: projectRoot, encoding: 'utf8', timeout: 120_000 },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 150_000);
});
