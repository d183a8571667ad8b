import path from 'node:path';
import { ensureDefaultAccount } from './bootstrap.js';
import { dataDir, publicUrl, type Config } from './config.js';
import { startDevServer, type DevServer } from './dev-server.js';
import type { Logger } from './logger.js';
import { startPlaybookDemo } from './playbook-demo.js';
import { ensureTemporalCli } from './temporal-cli.js';
import type { Vigil } from './vigil.js';

/** `npm start` without TEMPORAL_ADDRESS: the Temporal CLI dev server on its SQLite file in the data folder. */
export async function startEmbeddedTemporal(
  config: Config,
  dir: string,
  logger: Logger,
  say: (line: string) => void,
): Promise<DevServer> {
  const cliPath = await ensureTemporalCli({ log: (l) => say(`[temporal] ${l}`) });
  say(`starting the Temporal dev server (${cliPath}) …`);
  const started = Date.now();
  const server = await startDevServer({
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
  say(`Temporal dev server ready at ${server.address} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return server;
}

/**
 * The end of `npm start`: the default account on first start (its key printed once), the Playbook demo with
 * `--demo`, and the banner with the addresses to open. Returns the demo's stop, if one runs.
 */
export async function welcomeEmbedded(
  vigil: Vigil,
  opts: { args: readonly string[]; say: (line: string) => void; temporalUiUrl: string | null },
): Promise<{ stop(): Promise<void> } | null> {
  const { config, services, database } = vigil;
  const { say } = opts;
  const created = await ensureDefaultAccount(services.db, config.VIGIL_BOOTSTRAP_API_KEY);
  const demo = opts.args.includes('--demo') ? await startPlaybookDemo(services, say, created) : null;
  const url = publicUrl(config);
  say('');
  say(
    `Vigil is running (${database.driver === 'pglite' ? `PGlite in ${path.join(dataDir(config), 'pglite')}` : 'Postgres'})`,
  );
  say(`  API          ${url}/v1`);
  say(`  API docs     ${url}/docs`);
  say(`  OpenAPI      ${url}/openapi.json`);
  if (opts.temporalUiUrl)
    say(`  Temporal UI  ${opts.temporalUiUrl}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows`);
  if (created) {
    say('');
    say(`Created the default account. Its admin API key (shown once, stored hashed):`);
    say(`  ${created.apiKey}`);
    say(`Try: curl -H "Authorization: Bearer ${created.apiKey}" ${url}/v1/assets`);
  }
  say('Press Ctrl-C to stop.');
  return demo;
}
