import { serve } from '@hono/node-server';
import { openDatabase } from '../db/client.js';
import { configOrExit } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { resolveMasterKey } from '../platform/master-key.js';
import { buildServices, verifyMasterKey } from '../platform/services.js';
import { connectTemporalClient } from '../platform/temporal.js';
import { createApp } from './app.js';

/** `npm run api`: the HTTP API alone, against DATABASE_URL and TEMPORAL_ADDRESS (production). */
const config = configOrExit();
const logger = createLogger(config.LOG_LEVEL);
if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS) {
  process.stderr.write(
    'npm run api needs DATABASE_URL and TEMPORAL_ADDRESS; use npm start for the embedded system\n',
  );
  process.exit(2);
}
const database = await openDatabase({ url: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX });
const temporal = await connectTemporalClient({
  address: config.TEMPORAL_ADDRESS,
  namespace: config.TEMPORAL_NAMESPACE,
});
const secrets = resolveMasterKey({ value: config.VIGIL_MASTER_KEY });
const services = buildServices({ config, database, temporal: temporal.client, logger, secrets });
await verifyMasterKey(services);
const server = serve({ fetch: createApp(services).fetch, hostname: config.HOST, port: config.PORT }, (info) =>
  logger.info({ port: info.port }, 'API listening'),
);

const stop = () => {
  server.close(() => {
    void Promise.all([database.close(), temporal.close()]).then(() => process.exit(0));
  });
  setTimeout(() => process.exit(1), 10_000).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
