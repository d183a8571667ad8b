import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { agentPollListener } from '../api/agent-poll-listener.js';
import { subscribeToApiKeyRevocations } from '../services/accounts/subscribe-to-api-key-revocations.js';
import { subscribeToAgentTokenChanges } from '../services/agents/subscribe-to-agent-token-changes.js';
import { subscribeToJobNotifications } from '../services/agents/job-notifier.js';
import { flushAdmissionDecisions } from '../services/signature/admission-engine.js';
import { createApp } from '../api/app.js';
import { openDatabase, type DatabaseHandle } from '../db/client.js';
import { createWorkers, type CreateWorkersOptions, type VigilWorkers } from '../worker/worker.js';
import { configOrExit, dataDir, type Config } from './config.js';
import { startEmbeddedTemporal, welcomeEmbedded } from './embedded.js';
import { createLogger } from './logger.js';
import { ensureMaintenanceSchedule, maintenanceActivities } from './maintenance.js';
import { resolveMasterKey } from './master-key.js';
import type { SecretBox } from './secrets.js';
import { buildServices, verifyMasterKey, type Services } from './services.js';
import { StopList } from './stop-list.js';
import { connectTemporalClient, type TemporalClientHandle } from './temporal.js';

/**
 * api: the HTTP API (and the agents' and admission routes). worker: the Temporal workers, including the maintenance
 * workflow's activities. maintenance: creates the deployment's maintenance Schedule (fixed id, overlap SKIP) and
 * triggers one run, so background duties run as singletons wherever workers run.
 */
export type VigilRole = 'api' | 'worker' | 'maintenance';

export interface StartVigilOptions {
  roles: readonly VigilRole[];
  /**
   * `npm start`: a Temporal dev server unless TEMPORAL_ADDRESS is set, PGlite unless DATABASE_URL is set,
   * migrations, a master key kept in the data folder, the default account and its key, the banner, `--demo`.
   * Without it, production rules: DATABASE_URL, TEMPORAL_ADDRESS and VIGIL_MASTER_KEY are required.
   */
  embedded?: { args?: readonly string[] };
  /** Read from the environment when absent. */
  config?: Config;
  /** A migrated database opened by the caller (the test harness); closed by `stop` like one opened here. */
  database?: DatabaseHandle;
  secrets?: SecretBox;
  /** api role: listen on HOST:PORT at start (default), or only when `listen()` is called. */
  listen?: boolean;
  /** api role on Postgres: LISTEN for agent jobs and token changes made by other processes (default true). */
  crossProcessNotifications?: boolean;
  worker?: Pick<CreateWorkersOptions, 'shutdownGraceTime' | 'extraActivities'>;
  /** Lines for a person at a terminal (embedded); production processes log instead. */
  say?: (line: string) => void;
}

export interface Vigil {
  config: Config;
  services: Services;
  database: DatabaseHandle;
  temporal: TemporalClientHandle;
  app: ReturnType<typeof createApp>;
  workers: VigilWorkers | null;
  /** Settles when the workers stop; rejects when one fails. Never settles without the worker role. */
  workersDone: Promise<void>;
  /** Starts the HTTP listener if it is not running yet; returns its base URL. */
  listen(at?: { host: string; port: number }): Promise<string>;
  /** Stops everything in the one order of `STOP_ORDER`; safe to call twice. */
  stop(): Promise<void>;
}

/** A start-up requirement that is not met: the entry point prints the message and exits 2. */
export class VigilStartError extends Error {
  override name = 'VigilStartError';
}

/** The one composition root: `npm start`, `npm run api`, `npm run worker` and the test harness all start here. */
export async function startVigil(opts: StartVigilOptions): Promise<Vigil> {
  const config = opts.config ?? configOrExit();
  const logger = createLogger(config.LOG_LEVEL);
  const say = opts.say ?? ((line: string) => logger.info(line));
  const roles = new Set(opts.roles);
  const stops = new StopList(logger);
  try {
    const dir = dataDir(config);
    if (opts.embedded) mkdirSync(dir, { recursive: true });
    let address = config.TEMPORAL_ADDRESS;
    let temporalUiUrl = config.TEMPORAL_UI_URL ?? null;
    if (!opts.embedded && (!config.DATABASE_URL || !address) && !opts.database) {
      throw new VigilStartError(
        `npm run ${roles.has('api') ? 'api' : 'worker'} needs DATABASE_URL and TEMPORAL_ADDRESS; use npm start for the embedded system`,
      );
    }
    // Before any connection: a missing or malformed key is a configuration error, not a failure to retry.
    const secrets =
      opts.secrets ??
      resolveMasterKey({
        value: config.VIGIL_MASTER_KEY,
        dataDir: opts.embedded ? dir : undefined,
        log: say,
      });
    if (!address) {
      const server = await startEmbeddedTemporal(config, dir, logger, say);
      stops.add('last', () => server.stop());
      address = server.address;
      temporalUiUrl = server.uiUrl;
    }

    const database =
      opts.database ??
      (await openDatabase({
        url: config.DATABASE_URL,
        pgliteDir: path.join(dir, 'pglite'),
        poolMax: config.DATABASE_POOL_MAX,
      }));
    stops.add('database', () => database.close());
    // Production runs the committed migrations as its own one-shot step (docker-compose `migrate`).
    if (opts.embedded) await database.migrate();

    const temporal = await connectTemporalClient({ address, namespace: config.TEMPORAL_NAMESPACE });
    stops.add('temporal', () => temporal.close());

    const services = buildServices({ config, database, temporal: temporal.client, logger, secrets });
    stops.add('last', async () => services.mailer.close());
    await verifyMasterKey(services);

    let workers: VigilWorkers | null = null;
    let workersDone: Promise<void> = new Promise<void>(() => undefined);
    if (roles.has('worker')) {
      workers = await createWorkers({
        deps: services,
        address,
        namespace: config.TEMPORAL_NAMESPACE,
        shutdownGraceTime: opts.worker?.shutdownGraceTime,
        extraActivities: { ...maintenanceActivities(services), ...opts.worker?.extraActivities },
      });
      workersDone = workers.run();
      workersDone.catch((err: unknown) => logger.error({ err }, 'worker stopped with an error'));
      const w = workers;
      stops.add('workers', () => w.shutdown());
      logger.info({ taskQueues: services.taskQueues }, 'worker running');
    }
    if (roles.has('maintenance')) await ensureMaintenanceSchedule(services);

    const app = createApp(services);
    let server: Server | undefined;
    const listen = async (at = { host: config.HOST, port: config.PORT }) => {
      server ??= await new Promise<Server>((resolve) => {
        // Agents' long polls are answered before Hono (api/agent-poll-listener.ts); everything else goes to it.
        const s = createServer(
          agentPollListener(services, getRequestListener(app.fetch, { hostname: at.host })),
        );
        s.listen({ port: at.port, host: at.host, backlog: LISTEN_BACKLOG }, () => resolve(s));
        // Longer than the load balancers' idle timeouts in front of it, so they never reuse a closed socket.
        s.keepAliveTimeout = 65_000;
        const listening = s;
        stops.add('http', () => closeServer(listening));
      });
      return `http://${displayHost(at.host)}:${(server.address() as AddressInfo).port}`;
    };
    if (roles.has('api')) {
      // Queued admission decisions reach the database after the last request and before it closes.
      stops.add('api', () => flushAdmissionDecisions(services.db));
      if (opts.crossProcessNotifications !== false) {
        // A separate worker's new jobs wake this process's long polls, and token changes made through other
        // processes reach its token caches (agent tokens, API keys), through Postgres NOTIFY (on PGlite every
        // change is this process's own).
        const unsubscribers = await Promise.all([
          subscribeToJobNotifications(database.listen),
          subscribeToAgentTokenChanges(database),
          subscribeToApiKeyRevocations(database),
        ]);
        stops.add('api', async () => void (await Promise.all(unsubscribers.map((u) => u()))));
      }
      if (opts.listen !== false) {
        await listen();
        logger.info({ port: config.PORT }, 'API listening');
      }
    }

    const vigil: Vigil = {
      config,
      services,
      database,
      temporal,
      app,
      workers,
      workersDone,
      listen,
      stop: () => stops.stop(),
    };
    if (opts.embedded) {
      const demo = await welcomeEmbedded(vigil, { args: opts.embedded.args ?? [], say, temporalUiUrl });
      if (demo) stops.add('extras', () => demo.stop());
    }
    return vigil;
  } catch (err) {
    await stops.stop();
    throw err;
  }
}

/**
 * Connections the kernel queues for the API to accept. A fleet reconnecting at once (an API restart) opens thousands
 * in a few seconds; past Node's default of 511 the kernel drops them and agents see resets or stalls until they retry
 * (the idle-fleet bench's 10,000 agents). The kernel caps it at net.core.somaxconn (4096 by default since Linux 5.4).
 */
const LISTEN_BACKLOG = 4096;

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // Agents' long polls would otherwise hold the close for up to 30 s.
    server.closeAllConnections();
  });
}

function displayHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}
