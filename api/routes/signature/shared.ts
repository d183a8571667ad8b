import type { Context } from 'hono';
import { keyProviderFor } from '../../../activities/signing/key-provider.js';
import { SigningRuleError } from '../../../activities/signing/witnesses.js';
import type { AppEnv } from '../../context.js';
import { ApiError } from '../../errors.js';

export const provider = (c: Context<AppEnv>) => keyProviderFor(c.get('services'));

/** Business-rule errors of the signing activities become the API's envelope (404, 409, 422). */
export async function translate<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof SigningRuleError) throw new ApiError(err.kind, err.message);
    throw err;
  }
}

export const iso = (d: Date | null) => d?.toISOString() ?? null;
