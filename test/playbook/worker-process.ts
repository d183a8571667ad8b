// A Vigil worker in a process of its own, for the crash test: `tsx test/playbook/worker-process.ts` with the test's
// DATABASE_URL, TEMPORAL_ADDRESS and VIGIL_TASK_QUEUE_PREFIX. Prints "worker ready" once it polls.
import { openDatabase } from '../../db/client.js';
import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';
import { createSecretBox } from '../../platform/secrets.js';
import { buildServices } from '../../platform/services.js';
import { connectTemporalClient } from '../../platform/temporal.js';
import { createWorkers } from '../../worker/worker.js';

const config = loadConfig(process.env);
const address = config.TEMPORAL_ADDRESS;
if (!address || !config.DATABASE_URL || !config.VIGIL_MASTER_KEY) {
  throw new Error('worker-process needs TEMPORAL_ADDRESS, DATABASE_URL and VIGIL_MASTER_KEY (hex)');
}
const logger = createLogger(config.LOG_LEVEL);
const database = await openDatabase({ url: config.DATABASE_URL, poolMax: 5 });
const temporal = await connectTemporalClient({ address, namespace: config.TEMPORAL_NAMESPACE });
const services = buildServices({
  config,
  database,
  temporal: temporal.client,
  logger,
  secrets: createSecretBox(Buffer.from(config.VIGIL_MASTER_KEY, 'hex')),
});
const workers = await createWorkers({
  deps: services,
  address,
  namespace: config.TEMPORAL_NAMESPACE,
  shutdownGraceTime: '1s',
});
const running = workers.run();
process.stdout.write('worker ready\n');
await running;
