import type { Client } from '@temporalio/client';
import type { Database } from '../db/client.js';
import type { Config } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import type { SecretBox } from '../platform/secrets.js';
import type { Mailer } from '../platform/mailer.js';
import type { TaskQueues } from '../worker/task-queues.js';
import type { Role } from '../domain/roles.js';

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

export interface Caller {
  accountId: string;
  apiKeyId: string;
  role: Role;
  /** Written into audit rows: `key:<apiKeyId>`. */
  actor: string;
}

export interface AppEnv {
  Variables: {
    services: Services;
    requestId: string;
    logger: Logger;
    caller: Caller;
  };
}
