import type { TestProject } from 'vitest/node';
import { startDevServer } from '../platform/dev-server.js';
import { ensureTemporalCli } from '../platform/temporal-cli.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
  }
}

/** One Temporal dev server for the whole run (DESIGN §10); TEMPORAL_ADDRESS reuses an existing one instead. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = process.env.TEMPORAL_ADDRESS;
  if (existing) {
    project.provide('temporalAddress', existing);
    project.provide('temporalNamespace', process.env.TEMPORAL_NAMESPACE ?? 'default');
    return async () => undefined;
  }
  const cliPath = await ensureTemporalCli({ log: (l) => process.stderr.write(`[temporal-cli] ${l}\n`) });
  const server = await startDevServer({
    cliPath,
    headless: true,
    log: (l) => process.stderr.write(`${l}\n`),
    extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=4096'],
  });
  project.provide('temporalAddress', server.address);
  project.provide('temporalNamespace', server.namespace);
  return () => server.stop();
}
