import { Connection } from '@temporalio/client';
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../platform/dev-server.js';
import { ensureTemporalCli } from '../platform/temporal-cli.js';
import { errorMessage } from '../domain/errors.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
  }
}

/**
 * Vitest runs a root-level globalSetup once for the root project and once more for every project that
 * `extends` it, all in the main process. They share one dev server, reference-counted across the
 * (separately loaded) module instances through globalThis; the last teardown stops it.
 */
interface SharedDevServer {
  refs: number;
  server: Promise<DevServer>;
}
const sharedKey = '__vigilTestTemporalDevServer';
const shared = globalThis as typeof globalThis & { [sharedKey]?: SharedDevServer };

/** Fails the run up front, with one clear message, when TEMPORAL_ADDRESS points at nothing usable. */
async function assertReachable(address: string, namespace: string): Promise<void> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 10_000 });
    await connection.workflowService.describeNamespace({ namespace });
  } catch (err) {
    throw new Error(
      `TEMPORAL_ADDRESS=${address} is set, but namespace "${namespace}" is not reachable there: ` +
        `${errorMessage(err)}. Unset TEMPORAL_ADDRESS to let the tests start their own dev server.`,
      { cause: err },
    );
  } finally {
    await connection?.close();
  }
}

async function startSharedServer(): Promise<DevServer> {
  // Both modules prefix their own lines ([temporal-cli] / [temporal-server]).
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const cliPath = await ensureTemporalCli({ log });
  return startDevServer({
    cliPath,
    headless: true,
    log,
    extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=4096'],
  });
}

/** One Temporal dev server for the whole run (DESIGN §10); TEMPORAL_ADDRESS reuses an existing one instead. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = process.env.TEMPORAL_ADDRESS;
  if (existing) {
    const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
    await assertReachable(existing, namespace);
    project.provide('temporalAddress', existing);
    project.provide('temporalNamespace', namespace);
    return async () => undefined;
  }

  const entry = (shared[sharedKey] ??= { refs: 0, server: startSharedServer() });
  entry.refs++;
  let server: DevServer;
  try {
    server = await entry.server;
  } catch (err) {
    entry.refs--;
    if (shared[sharedKey] === entry) delete shared[sharedKey]; // Let a later setup try again.
    throw err;
  }
  project.provide('temporalAddress', server.address);
  project.provide('temporalNamespace', server.namespace);
  return async () => {
    entry.refs--;
    if (entry.refs > 0) return;
    if (shared[sharedKey] === entry) delete shared[sharedKey];
    await server.stop();
  };
}
