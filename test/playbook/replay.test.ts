import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { historiesDir } from './histories.js';

vi.setConfig({ testTimeout: 400_000 });

const here = path.dirname(fileURLToPath(import.meta.url));

describe('Playbook: replay of committed histories', () => {
  it('replays every committed task, batch and asset history without non-determinism', async () => {
    const files = readdirSync(historiesDir).filter((f) => f.startsWith('playbook-') && f.endsWith('.pb'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'replay-histories.ts')],
      {
        maxBuffer: 16 * 2 ** 20,
      },
    );
    const results = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { workflowId: string; error: string | null });
    expect(results).toHaveLength(files.length);
    for (const r of results) expect(r.error, r.workflowId).toBeNull();
  });
});
