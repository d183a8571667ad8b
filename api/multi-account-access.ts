import type { Context } from 'hono';
import { administeredDirectory, managedMemberOf } from '../services/multi-account/directory-views.js';
import type { AppEnv } from './context.js';

/**
 * The caller's directory as an administrator — the management account, or (unless `managementOnly`) a current
 * delegated administrator; anyone else gets a 404 (DESIGN §3.2). The check itself is
 * `services/multi-account/directory-views.ts`.
 */
export const callerDirectory = (c: Context<AppEnv>, opts: { managementOnly?: boolean } = {}) =>
  administeredDirectory(c.get('services').db, c.get('caller').accountId, opts);

/** A managed member the caller administers, else 404: the tenancy check of every per-member endpoint. */
export const callerMember = (c: Context<AppEnv>, memberId: string) =>
  managedMemberOf(c.get('services').db, c.get('caller').accountId, memberId);
