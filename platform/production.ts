import type { Services } from '../api/context.js';
import { openDatabase, type DatabaseHandle } from '../db/client.js';
import { configOrExit, type Config } from './config.js';
import { createLogger } from './logger.js';
import { MasterKeyError, resolveMasterKey } from './master-key.js';
import { SecretBoxError, type SecretBox } from './secrets.js';
import { buildServices, verifyMasterKey } from './services.js';
import { connectTemporalClient, type TemporalClientHandle } from './temporal.js';

export interface ProductionServices {
  config: Config & { DATABASE_URL: string; TEMPORAL_ADDRESS: string };
  services: Services;
  database: DatabaseHandle;
  temporal: TemporalClientHandle;
}

/**
 * What `npm run api` and `npm run worker` share: config, Postgres, the Temporal client and a master key that is
 * required (never generated) and checked against what is stored.
 */
export async function bootProductionServices(process_: 'api' | 'worker'): Promise<ProductionServices> {
  const config = configOrExit();
  if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS) {
    process.stderr.write(
      `npm run ${process_} needs DATABASE_URL and TEMPORAL_ADDRESS; use npm start for the embedded system\n`,
    );
    process.exit(2);
  }
  const logger = createLogger(config.LOG_LEVEL);
  let secrets: SecretBox;
  try {
    secrets = resolveMasterKey({ value: config.VIGIL_MASTER_KEY });
  } catch (err) {
    if (!(err instanceof MasterKeyError || err instanceof SecretBoxError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  const database = await openDatabase({ url: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX });
  const temporal = await connectTemporalClient({
    address: config.TEMPORAL_ADDRESS,
    namespace: config.TEMPORAL_NAMESPACE,
  });
  const services = buildServices({ config, database, temporal: temporal.client, logger, secrets });
  await verifyMasterKey(services);
  return {
    config: { ...config, DATABASE_URL: config.DATABASE_URL, TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS },
    services,
    database,
    temporal,
  };
}
