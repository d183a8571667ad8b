import { openDatabase } from '../db/client.js';
import { configOrExit } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { resolveMasterKey } from '../platform/master-key.js';
import { buildServices, verifyMasterKey } from '../platform/services.js';
import { connectTemporalClient } from '../platform/temporal.js';
import { createWorkers } from './worker.js';

/** `npm run worker`: the Temporal workers alone, against DATABASE_URL and TEMPORAL_ADDRESS (production). */
const config = configOrExit();
const logger = createLogger(config.LOG_LEVEL);
if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS) {
  process.stderr.write(
    'npm run worker needs DATABASE_URL and TEMPORAL_ADDRESS; use npm start for the embedded system\n',
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
const workers = await createWorkers({
  deps: services,
  address: config.TEMPORAL_ADDRESS,
  namespace: config.TEMPORAL_NAMESPACE,
  shutdownGraceTime: '30s',
});
const stop = () => {
  void workers
    .shutdown()
    .then(() => Promise.all([database.close(), temporal.close()]))
    .then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
logger.info({ taskQueues: services.taskQueues }, 'worker running');
await workers.run();
