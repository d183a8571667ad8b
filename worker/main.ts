import { bootProductionServices } from '../platform/production.js';
import { createWorkers } from './worker.js';

/** `npm run worker`: the Temporal workers alone, against DATABASE_URL and TEMPORAL_ADDRESS (production). */
const { config, services, database, temporal } = await bootProductionServices('worker');
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
services.logger.info({ taskQueues: services.taskQueues }, 'worker running');
await workers.run();
