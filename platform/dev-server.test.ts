import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';

import { Client, Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';

import { VigilAccountId, vigilSearchAttributes } from '../workflows/search-attributes.js';
import { findFreePort, startDevServer, type DevServer } from './dev-server.js';
import { ensureTemporalCli, temporalCliPathEnv } from './temporal-cli.js';

const execFileAsync = promisify(execFile);

function errnoCode(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err.code;
    throw err;
  }
}

async function withClient<T>(server: DevServer, fn: (client: Client, connection: Connection) => Promise<T>) {
  const connection = await Connection.connect({ address: server.address });
  try {
    return await fn(new Client({ connection, namespace: server.namespace }), connection);
  } finally {
    await connection.close();
  }
}

let cliPath = '';
const logLines: string[] = [];
const log = (line: string) => logLines.push(line);

beforeAll(async () => {
  cliPath = await ensureTemporalCli({ log });
});

describe('ensureTemporalCli', () => {
  it('resolves an absolute path to a runnable official Temporal CLI', async () => {
    expect(isAbsolute(cliPath)).toBe(true);
    const { stdout } = await execFileAsync(cliPath, ['--version']);
    expect(stdout).toMatch(/^temporal version \d+\.\d+\.\d+/);
  });

  it('is instant once the CLI is present', async () => {
    const started = performance.now();
    await expect(ensureTemporalCli({ log })).resolves.toBe(cliPath);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it(`rejects a ${temporalCliPathEnv} that points nowhere, naming the variable`, async () => {
    vi.stubEnv(temporalCliPathEnv, join(tmpdir(), `no-temporal-here-${randomUUID()}`));
    try {
      await expect(ensureTemporalCli({ log })).rejects.toThrow(temporalCliPathEnv);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('startDevServer', () => {
  let tmp = '';
  const running = new Set<DevServer>();

  const start = async (dbFile: string): Promise<DevServer> => {
    const server = await startDevServer({ cliPath, headless: true, dbFile, log });
    running.add(server);
    return server;
  };

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'vigil-dev-server-'));
  });

  afterAll(async () => {
    await Promise.all([...running].map((server) => server.stop()));
    await rm(tmp, { recursive: true, force: true });
  });

  it('findFreePort returns a bindable port', async () => {
    const port = await findFreePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65_536);
  });

  it('rejects with the CLI output when the server exits during startup', async () => {
    await expect(
      startDevServer({ cliPath, headless: true, log, extraArgs: ['--no-such-flag'] }),
    ).rejects.toThrow(/exited during startup[\s\S]*unknown flag: --no-such-flag/);
  });

  it('registers the search attributes, persists to SQLite across restarts and stops its process', async () => {
    const dbFile = join(tmp, 'nested', 'temporal.db');
    const workflowId = `dev-server-test-${randomUUID()}`;
    const accountId = `acct-${randomUUID()}`;

    const first = await start(dbFile);
    expect(first.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(first.uiUrl).toBeNull();
    expect(first.namespace).toBe('default');

    const runId = await withClient(first, async (client, connection) => {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({
        namespace: first.namespace,
      });
      for (const key of vigilSearchAttributes) {
        expect(customAttributes[key.name], key.name).toBe(encodeSearchAttributeIndexedValueType(key.type));
      }

      // No worker polls this task queue: the execution just stays RUNNING, which is all we need.
      const handle = await client.workflow.start('vigilDevServerProbe', {
        taskQueue: `no-worker-${randomUUID()}`,
        workflowId,
        typedSearchAttributes: [{ key: VigilAccountId, value: accountId }],
      });
      const description = await handle.describe();
      expect(description.status.name).toBe('RUNNING');
      expect(description.typedSearchAttributes.get(VigilAccountId)).toBe(accountId);

      // The custom search attribute is queryable through visibility (eventually consistent).
      await vi.waitFor(
        async () => {
          const found: string[] = [];
          for await (const execution of client.workflow.list({ query: `VigilAccountId = '${accountId}'` })) {
            found.push(execution.workflowId);
          }
          expect(found).toEqual([workflowId]);
        },
        { timeout: 15_000, interval: 250 },
      );
      return handle.firstExecutionRunId;
    });

    await first.stop();
    running.delete(first);
    expect(errnoCode(() => process.kill(first.pid, 0))).toBe('ESRCH');
    await first.stop(); // Idempotent.

    const second = await start(dbFile);
    expect(second.pid).not.toBe(first.pid);
    await withClient(second, async (client) => {
      const handle = client.workflow.getHandle(workflowId);
      const description = await handle.describe();
      expect(description.runId).toBe(runId);
      expect(description.status.name).toBe('RUNNING');
      expect(description.typedSearchAttributes.get(VigilAccountId)).toBe(accountId);
      await handle.terminate('dev-server test done');
    });
    await second.stop();
    running.delete(second);
    expect(errnoCode(() => process.kill(second.pid, 0))).toBe('ESRCH');
  });
});

describe('global setup', () => {
  it('provides a reachable Temporal server with the Vigil search attributes', async () => {
    const address = inject('temporalAddress');
    const namespace = inject('temporalNamespace');
    const connection = await Connection.connect({ address });
    try {
      await connection.workflowService.describeNamespace({ namespace });
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      expect(Object.keys(customAttributes)).toEqual(
        expect.arrayContaining(vigilSearchAttributes.map((key) => key.name)),
      );
    } finally {
      await connection.close();
    }
  });
});
