import type { Client } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import type { Database, DatabaseHandle } from '../db/client.js';
import { taskQueues, type TaskQueues } from '../worker/task-queues.js';
import path from 'node:path';
import { dataDir, publicUrl, type Config } from './config.js';
import { createMailer, type Mailer } from './mailer.js';
import type { Logger } from './logger.js';
import type { SecretBox } from './secrets.js';
import { keyCheck } from '../db/schema/key-check.js';

/** What handlers reach through `c.get('services')`; a test builds the app with its own. */
export interface Services {
  config: Config;
  db: Database;
  dbDriver: 'pglite' | 'postgres';
  temporal: Client;
  logger: Logger;
  taskQueues: TaskQueues;
  secrets: SecretBox;
  /** SMTP (SMTP_URL) or the data folder's outbox. */
  mailer: Mailer;
  /** Base URL of this API, for links in e-mails and in the Temporal UI. */
  publicUrl: string;
}

export function buildServices(opts: {
  config: Config;
  database: DatabaseHandle;
  temporal: Client;
  logger: Logger;
  secrets: SecretBox;
  mailer?: Mailer;
}): Services {
  return {
    config: opts.config,
    db: opts.database.db,
    dbDriver: opts.database.driver,
    temporal: opts.temporal,
    logger: opts.logger,
    taskQueues: taskQueues(opts.config.VIGIL_TASK_QUEUE_PREFIX),
    secrets: opts.secrets,
    mailer: opts.mailer ?? createMailer(opts.config, path.join(dataDir(opts.config), 'outbox')),
    publicUrl: publicUrl(opts.config),
  };
}

const CHECK_AAD = 'vigil:master-key-check';

/**
 * Seals a known value on first start and opens it on every later one, so a wrong VIGIL_MASTER_KEY is a clear
 * start-up error instead of a failure the first time a stored secret is used.
 */
export async function verifyMasterKey(services: Pick<Services, 'db' | 'secrets'>): Promise<void> {
  const [row] = await services.db
    .select()
    .from(keyCheck)
    .where(sql`${keyCheck.id} = 1`);
  if (!row) {
    await services.db
      .insert(keyCheck)
      .values({ id: 1, sealed: services.secrets.seal('ok', CHECK_AAD) })
      .onConflictDoNothing();
    return;
  }
  services.secrets.openText(row.sealed, CHECK_AAD);
}
