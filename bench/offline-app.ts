import { Client } from '@temporalio/client';
import { createAccount } from '../services/accounts/create-account.js';
import { createApp } from '../api/app.js';
import type { DatabaseHandle } from '../db/client.js';
import { loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { createSecretBox } from '../platform/secrets.js';
import { buildServices } from '../platform/services.js';

/**
 * Services over a migrated database with a lazy Temporal client that connects to nothing (what these benches
 * measure never calls Temporal); `env` adds to the silent logger and the bench master key.
 */
export function offlineServices(handle: DatabaseHandle, env: Record<string, string> = {}) {
  return buildServices({
    config: loadConfig({ LOG_LEVEL: 'silent', VIGIL_MASTER_KEY: 'a'.repeat(64), ...env }),
    database: handle,
    temporal: new Client(),
    logger: createLogger('silent'),
    secrets: createSecretBox(Buffer.alloc(32, 7)),
  });
}

/**
 * The API (and console) over a migrated database, with no rate limit and a lazy Temporal client that connects to
 * nothing: the read paths these benches measure never call Temporal. Also makes the account the bench reads as.
 */
export async function offlineApp(handle: DatabaseHandle) {
  const services = offlineServices(handle, { VIGIL_RATE_LIMIT_PER_MINUTE: '10000000' });
  const app = createApp(services);
  const { account, adminKey } = await createAccount(handle.db, { name: 'bench' });
  return { services, app, account, adminKey };
}
