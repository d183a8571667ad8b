/**
 * The one error type of Vigil's business rules (DESIGN §3.8). Services, domain rules and activities throw
 * `VigilError` with a code from this closed set; the HTTP layer maps the code to a status once (`app.onError`), and
 * the worker's activity interceptor turns it into a non-retryable Temporal failure (a broken rule does not heal on
 * retry). Another account's object is always `not_found`, never `forbidden` (DESIGN §3.2).
 */
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

export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

/** Codes that describe the caller's request or the state of the data: retrying the same call cannot succeed. */
const RULE_CODES: ReadonlySet<ErrorCode> = new Set([
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'conflict',
  'payload_too_large',
  'unprocessable',
]);

export class VigilError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'VigilError';
  }

  get status(): (typeof ERROR_STATUS)[ErrorCode] {
    return ERROR_STATUS[this.code];
  }

  /** A broken rule (4xx): the same call fails the same way, so Temporal must not retry it. */
  get isRule(): boolean {
    return RULE_CODES.has(this.code);
  }
}

export const notFound = (what: string) => new VigilError('not_found', `${what} not found`);
export const unprocessable = (message: string, details?: unknown) =>
  new VigilError('unprocessable', message, details);
export const conflict = (message: string, details?: unknown) => new VigilError('conflict', message, details);
export const badRequest = (message: string, details?: unknown) =>
  new VigilError('bad_request', message, details);
export const unavailable = (message: string, details?: unknown) =>
  new VigilError('unavailable', message, details);

/** The message of anything thrown, for logs and stored outcomes (never the stack). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
