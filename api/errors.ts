import { z } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { databaseErrorOf } from '../db/errors.js';
import type { Logger } from '../platform/logger.js';

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
import { ERROR_CODES, ERROR_STATUS, VigilError, type ErrorCode } from '../domain/errors.js';

/**
 * Postgres SQLSTATE class 22 (data exception: a NUL in text, an integer out of range, a malformed value) on the
 * error or its causes (Drizzle wraps driver errors). Such a value can never be stored, so it is the caller's 400,
 * not a 500 and not a "try again later": the last line behind the input rule of api/middleware/input-rules.ts.
 */
export function isDataException(err: unknown): boolean {
  return databaseErrorOf(err)?.code.startsWith('22') ?? false;
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

const STATUS_CODE: Record<number, ErrorCode> = Object.fromEntries(
  Object.entries(ERROR_STATUS).map(([code, status]) => [status, code as ErrorCode]),
);

/** An error answered as JSON: its status, the error envelope, and headers it needs (`WWW-Authenticate`). */
export interface ErrorAnswer {
  status: (typeof ERROR_STATUS)[ErrorCode];
  body: ReturnType<typeof errorBody>;
  headers?: Record<string, string>;
}

/**
 * What anything thrown while answering a request becomes: `app.onError`, and the agents' long poll served beside
 * Hono (api/agent-poll-listener.ts), so both answer alike. Unknown errors are logged and become a generic 500.
 */
export function errorAnswer(
  err: unknown,
  request: { requestId: string; path: string; logger: Logger },
): ErrorAnswer {
  const { requestId, path, logger } = request;
  if (err instanceof VigilError) {
    return {
      status: err.status,
      body: errorBody(err.code, err.message, requestId, err.details),
      headers: err.headers,
    };
  }
  if (err instanceof HTTPException && err.status < 500) {
    const code = STATUS_CODE[err.status] ?? 'bad_request';
    const message = /json/i.test(err.message) ? 'the request body is not valid JSON' : err.message || code;
    return { status: ERROR_STATUS[code], body: errorBody(code, message, requestId) };
  }
  if (isDataException(err)) {
    logger.warn({ err, path }, 'input the database refused');
    return { status: 400, body: errorBody('bad_request', CANNOT_STORE, requestId) };
  }
  logger.error({ err, path }, 'unhandled error');
  return {
    status: 500,
    body: errorBody('internal', 'something went wrong; quote the request id', requestId),
  };
}
