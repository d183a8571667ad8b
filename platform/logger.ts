import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line: secrets, their hashes and their sealed (encrypted) forms. */
const SECRET_KEYS = [
  'apiKey',
  'token',
  'secret',
  'password',
  'privateKey',
  'authorization',
  'hash',
  'tokenHash',
  'keyHash',
  'requestHash',
  'sealed',
  'secretSealed',
  'webhookSealed',
  'responseSealed',
  'sealedPrivateKey',
];

/**
 * Where a secret key is looked for: top level and one level down (pino redaction takes exact paths, and each
 * costs every log call). Errors, where query values hide deeper, go through `serializeError`.
 */
const REDACT = [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`), 'req.headers.authorization'];

/** Longest log line written; one failed batch insert once logged 14 MB of parameters in a single line. */
export const MAX_LOG_LINE_CHARS = 16_384;
/** Longest string field of a logged error (a query's text, a message). */
const MAX_ERROR_FIELD_CHARS = 4_096;
/** Error properties that carry a query's bound values (token hashes, sealed secrets) and are never logged. */
const QUERY_VALUE_KEYS = new Set(['params', 'parameters', 'args', 'values']);
/** Drizzle writes the bound values into the message (and so the stack) after "params:". */
const PARAMS_IN_TEXT = /\nparams: [\s\S]*?(?=\n\s+at |$)/;

const cap = (text: string, max: number) =>
  text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters]`;
const clean = (text: string) =>
  cap(text.replace(PARAMS_IN_TEXT, '\nparams: [redacted]'), MAX_ERROR_FIELD_CHARS);

/**
 * An error as logged: type, message, stack, its own fields and its causes, without a query's bound values and
 * with every text field capped. Database errors otherwise carry the row that failed — token hashes, sealed secrets.
 */
export function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return typeof err === 'string' ? clean(err) : err;
  const out: Record<string, unknown> = { type: err.constructor.name, message: clean(err.message) };
  if (err.stack !== undefined) out.stack = clean(err.stack);
  for (const [key, value] of Object.entries(err)) {
    if (QUERY_VALUE_KEYS.has(key) || key === 'cause') continue;
    out[key] = typeof value === 'string' ? clean(value) : value;
  }
  if (err.cause !== undefined) out.cause = depth < 4 ? serializeError(err.cause, depth + 1) : '[more causes]';
  return out;
}

/** A line over MAX_LOG_LINE_CHARS becomes a short valid line keeping its level, time and beginning. */
export function capLogLine(line: string): string {
  if (line.length <= MAX_LOG_LINE_CHARS) return line;
  const level = /"level":(\d+)/.exec(line.slice(0, 200))?.[1];
  const time = /"time":(\d+)/.exec(line.slice(0, 200))?.[1];
  return `${JSON.stringify({
    level: level === undefined ? 50 : Number(level),
    time: time === undefined ? Date.now() : Number(time),
    service: 'vigil',
    msg: 'log line truncated',
    lineChars: line.length,
    head: line.slice(0, MAX_LOG_LINE_CHARS / 2),
  })}\n`;
}

export function createLogger(
  level: string = process.env.LOG_LEVEL ?? 'info',
  destination?: DestinationStream,
): Logger {
  const options = {
    level,
    base: { service: 'vigil' },
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError },
    hooks: { streamWrite: capLogLine },
  };
  return destination ? pino(options, destination) : pino(options);
}
