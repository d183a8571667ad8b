import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createAccount } from '../services/accounts/create-account.js';
import { createApp } from '../api/app.js';
import { openDatabase, type DatabaseHandle } from '../db/client.js';
import { loadConfig } from '../platform/config.js';
import type { DevServer } from '../platform/dev-server.js';
import { createLogger } from '../platform/logger.js';
import { createSecretBox } from '../platform/secrets.js';
import { buildServices } from '../platform/services.js';
import { connectTemporalClient, type TemporalClientHandle } from '../platform/temporal.js';
import { createWorkers } from '../worker/worker.js';

export const BENCH_MASTER_KEY = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

/** What a bench's services are configured with (production mode, quiet, no rate limit in the way). */
export function benchServiceConfig(server: DevServer, prefix: string) {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
    VIGIL_TASK_QUEUE_PREFIX: prefix,
    VIGIL_MASTER_KEY: BENCH_MASTER_KEY,
    VIGIL_RATE_LIMIT_PER_MINUTE: '100000000',
  };
}

/**
 * Services over `database` with a Temporal client connected to `server`: the config from `env`, logging at its
 * `LOG_LEVEL`, secrets sealed with `masterKey`. The caller closes the client.
 */
export async function connectedServices(
  server: DevServer,
  database: DatabaseHandle,
  env: Record<string, string>,
  masterKey: Buffer,
) {
  const config = loadConfig(env);
  const temporal = await connectTemporalClient({ address: server.address, namespace: server.namespace });
  const services = buildServices({
    config,
    database,
    temporal: temporal.client,
    logger: createLogger(config.LOG_LEVEL),
    secrets: createSecretBox(masterKey),
  });
  return { temporal, services };
}

export interface EmbeddedVigil {
  database: DatabaseHandle;
  temporal: TemporalClientHandle;
  baseUrl: string;
  accountId: string;
  apiKey: string;
  stop(): Promise<void>;
}

/** Vigil as `npm start` runs it, in this process: PGlite, workers and the API on a loopback port, one account. */
export async function startEmbeddedVigil(server: DevServer, prefix: string): Promise<EmbeddedVigil> {
  const database = await openDatabase({});
  await database.migrate();
  const { temporal, services } = await connectedServices(
    server,
    database,
    benchServiceConfig(server, prefix),
    Buffer.from(BENCH_MASTER_KEY, 'hex'),
  );
  const workers = await createWorkers({
    deps: services,
    address: server.address,
    namespace: server.namespace,
    shutdownGraceTime: '1s',
  });
  void workers.run();
  const app = createApp(services);
  const http: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const { account, adminKey } = await createAccount(database.db, { name: 'bench' });
  return {
    database,
    temporal,
    baseUrl,
    accountId: account.id,
    apiKey: adminKey.key,
    async stop() {
      await workers.shutdown();
      await new Promise<void>((r) => http.close(() => r()));
      await temporal.close();
      await database.close();
    },
  };
}
