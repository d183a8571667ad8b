import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { flushAdmissionDecisions } from '../activities/signing/admission.js';
import { createApp } from '../api/app.js';
import { openDatabase, type DatabaseHandle } from '../db/client.js';
import { createWorkers, type VigilWorkers } from '../worker/worker.js';
import { ensureDefaultAccount } from './bootstrap.js';
import { configOrExit, dataDir, publicUrl } from './config.js';
import { startDevServer, type DevServer } from './dev-server.js';
import { createLogger } from './logger.js';
import { resolveMasterKey } from './master-key.js';
import { buildServices, verifyMasterKey } from './services.js';
import { ensureTemporalCli } from './temporal-cli.js';
import { connectTemporalClient, type TemporalClientHandle } from './temporal.js';
import { startHooks } from './start-hooks.js';

const SHUTDOWN_BUDGET_MS = 10_000;

/**
 * `npm start`: the whole system in one process on embedded defaults — the Temporal dev server (unless
 * TEMPORAL_ADDRESS is set), PGlite (unless DATABASE_URL is set), migrations, API and worker.
 */
export async function startEmbedded(
  args: string[] = process.argv.slice(2),
): Promise<{ stop(): Promise<void>; url: string }> {
  const config = configOrExit();
  const logger = createLogger(config.LOG_LEVEL);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const dir = dataDir(config);
  mkdirSync(dir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of stops.reverse()) {
      try {
        await fn();
      } catch (err) {
        logger.error({ err }, 'error during shutdown');
      }
    }
  };

  try {
    let address = config.TEMPORAL_ADDRESS;
    let uiUrl: string | null = config.TEMPORAL_UI_URL ?? null;
    if (!address) {
      const cliPath = await ensureTemporalCli({ log: (l) => say(`[temporal] ${l}`) });
      say(`starting the Temporal dev server (${cliPath}) …`);
      const started = Date.now();
      const server: DevServer = await startDevServer({
        cliPath,
        port: config.TEMPORAL_DEV_PORT,
        uiPort: config.TEMPORAL_UI_PORT,
        dbFile: path.join(dir, 'temporal.sqlite'),
        namespace: config.TEMPORAL_NAMESPACE,
        // Lifecycle lines repeat what this command prints itself; the server's own warnings and errors stay visible.
        log: (l) =>
          /\] (ready at|stopping|stopped)/.test(l)
            ? logger.debug({ component: 'temporal-dev-server' }, l)
            : logger.warn({ component: 'temporal-dev-server' }, l),
      });
      stops.push(() => server.stop());
      address = server.address;
      uiUrl = server.uiUrl;
      say(`Temporal dev server ready at ${address} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }

    const database: DatabaseHandle = await openDatabase({
      url: config.DATABASE_URL,
      pgliteDir: path.join(dir, 'pglite'),
      poolMax: config.DATABASE_POOL_MAX,
    });
    stops.push(() => database.close());
    await database.migrate();

    const temporal: TemporalClientHandle = await connectTemporalClient({
      address,
      namespace: config.TEMPORAL_NAMESPACE,
    });
    stops.push(() => temporal.close());

    const secrets = resolveMasterKey({ value: config.VIGIL_MASTER_KEY, dataDir: dir, log: say });
    const services = buildServices({ config, database, temporal: temporal.client, logger, secrets });
    // Runs after the HTTP server stops (stops run in reverse): queued admission decisions reach the database.
    stops.push(() => flushAdmissionDecisions(services.db));
    await verifyMasterKey(services);

    const workers: VigilWorkers = await createWorkers({
      deps: services,
      address,
      namespace: config.TEMPORAL_NAMESPACE,
    });
    const running = workers.run();
    running.catch((err: unknown) => logger.error({ err }, 'worker stopped with an error'));
    stops.push(() => workers.shutdown());

    const app = createApp(services);
    const server: ServerType = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: config.HOST, port: config.PORT }, () => resolve(s));
      if ('keepAliveTimeout' in s) s.keepAliveTimeout = 65_000;
    });
    stops.push(
      () =>
        new Promise<void>((resolve, reject) => {
          server.close((err) => (err ? reject(err) : resolve()));
          if ('closeAllConnections' in server) server.closeAllConnections();
        }),
    );

    const created = await ensureDefaultAccount(services.db, config.VIGIL_BOOTSTRAP_API_KEY);
    for (const hook of startHooks) {
      const hookStop = await hook({ services, config, args, say, defaultAccount: created });
      if (hookStop) stops.push(hookStop);
    }

    const url = publicUrl(config);
    say('');
    say(
      `Vigil is running (${database.driver === 'pglite' ? `PGlite in ${path.join(dir, 'pglite')}` : 'Postgres'})`,
    );
    say(`  API          ${url}/v1`);
    say(`  API docs     ${url}/docs`);
    say(`  OpenAPI      ${url}/openapi.json`);
    if (uiUrl) say(`  Temporal UI  ${uiUrl}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows`);
    if (created) {
      say('');
      say(`Created the default account. Its admin API key (shown once, stored hashed):`);
      say(`  ${created.apiKey}`);
      say(`Try: curl -H "Authorization: Bearer ${created.apiKey}" ${url}/v1/assets`);
    }
    say('Press Ctrl-C to stop.');
    return { stop, url };
  } catch (err) {
    await stop();
    throw err;
  }
}

const isMain =
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const system = await startEmbedded().catch((err: unknown) => {
    process.stderr.write(`Vigil failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal} received, stopping …\n`);
    const timer = setTimeout(() => {
      process.stderr.write(`shutdown took longer than ${SHUTDOWN_BUDGET_MS / 1000} s; exiting\n`);
      process.exit(1);
    }, SHUTDOWN_BUDGET_MS);
    timer.unref();
    void system.stop().then(
      () => {
        process.stdout.write('stopped\n');
        process.exit(0);
      },
      (err: unknown) => {
        process.stderr.write(`error while stopping: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
