import type { Context } from 'hono';
import type { AppEnv } from './context.js';

/** Who did it and in which request: the part of an audit row the HTTP layer knows. */
export function auditActor(c: Context<AppEnv>) {
  const caller = c.get('caller');
  return { accountId: caller.accountId, actor: caller.actor, requestId: c.get('requestId') };
}
