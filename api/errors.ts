import { z } from '@hono/zod-openapi';

export {
  ERROR_STATUS,
  VigilError,
  VigilError as ApiError,
  badRequest,
  conflict,
  notFound,
  unprocessable,
  unavailable,
  type ErrorCode,
} from '../domain/errors.js';
import { ERROR_CODES, type ErrorCode } from '../domain/errors.js';

/**
 * Postgres SQLSTATE class 22 (data exception: a NUL in text, an integer out of range, a malformed value) on the
 * error or its causes (Drizzle wraps driver errors). Such a value can never be stored, so it is the caller's 400,
 * not a 500 and not a "try again later": the last line behind the input rule of api/middleware/input-rules.ts.
 */
export function isDataException(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 5 && typeof e === 'object' && e !== null; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export const CANNOT_STORE = 'a value in the request cannot be stored (out of range or malformed)';

export const ZErrorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      requestId: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

export function errorBody(code: ErrorCode, message: string, requestId: string, details?: unknown) {
  return { error: { code, message, requestId, ...(details === undefined ? {} : { details }) } };
}
