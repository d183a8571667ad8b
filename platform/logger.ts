import { pino, type Logger } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line, wherever they sit in a logged object. */
const REDACT = [
  'apiKey',
  'token',
  'secret',
  'password',
  'privateKey',
  'authorization',
  '*.apiKey',
  '*.token',
  '*.secret',
  '*.password',
  '*.privateKey',
  '*.authorization',
  'req.headers.authorization',
];

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { service: 'vigil' }, redact: { paths: REDACT, censor: '[redacted]' } });
}
