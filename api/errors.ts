import { z } from '@hono/zod-openapi';

/** The closed set of error codes and their HTTP statuses (DESIGN §3.8). */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): (typeof ERROR_STATUS)[ErrorCode] {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what: string) => new ApiError('not_found', `${what} not found`);
export const unprocessable = (message: string, details?: unknown) =>
  new ApiError('unprocessable', message, details);
export const conflict = (message: string, details?: unknown) => new ApiError('conflict', message, details);
export const badRequest = (message: string, details?: unknown) =>
  new ApiError('bad_request', message, details);

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
      code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      requestId: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

export function errorBody(code: ErrorCode, message: string, requestId: string, details?: unknown) {
  return { error: { code, message, requestId, ...(details === undefined ? {} : { details }) } };
}
