import type { Context } from 'hono';
import { administeredMember } from '../activities/multi-account/administration.js';
import {
  administers,
  directoryStanding,
  type DirectoryStanding,
} from '../activities/multi-account/directory.js';
import type { Executor } from '../db/client.js';
import { MultiAccountRuleError } from '../domain/multi-account/directory.js';
import type { AppEnv, Caller } from './context.js';
import { ApiError, notFound } from './errors.js';

/**
 * The caller's directory when it administers it — the management account, or (unless `managementOnly`) a current
 * delegated administrator. Anyone else gets the same 404 as for an unknown resource (DESIGN §3.2).
 */
export async function resolveDirectoryAdmin(
  db: Executor,
  caller: Pick<Caller, 'accountId'>,
  opts: { managementOnly?: boolean } = {},
): Promise<DirectoryStanding> {
  const standing = await directoryStanding(db, caller.accountId);
  if (!administers(standing)) throw notFound('multi-account control');
  if (opts.managementOnly && standing.role !== 'management') throw notFound('multi-account control');
  return standing;
}

/** A member the caller administers, else 404: the one tenancy check of every per-member endpoint. */
export async function resolveManagedMember(
  db: Executor,
  caller: Pick<Caller, 'accountId'>,
  memberId: string,
) {
  const found = await administeredMember(db, caller.accountId, memberId);
  if (!found) throw notFound('managed member');
  return found;
}

/** Shorthand for handlers: the caller's directory as an administrator. */
export const callerDirectory = (c: Context<AppEnv>, opts: { managementOnly?: boolean } = {}) =>
  resolveDirectoryAdmin(c.get('services').db, c.get('caller'), opts);

/** Turns a broken multi-account rule into the API's error envelope. */
export async function withRuleErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof MultiAccountRuleError) throw new ApiError(err.code, err.message, err.details);
    throw err;
  }
}
