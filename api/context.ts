import type { Logger } from '../platform/logger.js';
import type { Role } from '../domain/roles.js';
import type { Services } from '../platform/services.js';

/** `Services` lives beside the composition root (platform/); re-exported so existing imports keep compiling. */
export type { Services };

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
