import { Runtime, type LogLevel, type LogMetadata, type Logger as TemporalLogger } from '@temporalio/worker';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { VigilError } from '../domain/errors.js';
import type { Logger } from '../platform/logger.js';
import { errorMessage } from '../domain/errors.js';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Temporal's logger interface over pino: workflow and activity logs carry workflowId, runId and activity ids. */
export function pinoTemporalLogger(logger: Logger): TemporalLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) =>
    logger[LEVELS[level]](meta ?? {}, message);
  return {
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}

let installed = false;

/** Installs the Temporal runtime once per process, before any worker or native connection exists. */
export function installRuntime(logger: Logger): void {
  if (installed) return;
  installed = true;
  // The SDK's own info lines (worker state changes, Nexus polling) are noise on a terminal; warnings and errors stay.
  const level = logger.isLevelEnabled('debug') ? logger.level : 'warn';
  Runtime.install({ logger: pinoTemporalLogger(logger.child({ component: 'temporal' }, { level })) });
}

/**
 * Logs each activity failure once, with its attempt and duration; completions at debug. A `VigilError` for a broken
 * rule (a 4xx code) leaves the activity as a non-retryable failure of type `VigilError:<code>`: the same input
 * breaks the same rule on every attempt, so Temporal must not retry it; other errors keep the activity's retry policy.
 */
export class ActivityLoggingInterceptor implements ActivityInboundCallsInterceptor {
  async execute(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    const ctx = Context.current();
    const started = Date.now();
    try {
      const result = await next(input);
      ctx.log.debug('activity completed', { durationMs: Date.now() - started });
      return result;
    } catch (err) {
      const name = err instanceof Error ? err.name : 'Error';
      if (name !== 'CompleteAsyncError') {
        ctx.log.warn('activity failed', {
          attempt: ctx.info.attempt,
          durationMs: Date.now() - started,
          error: errorMessage(err),
        });
      }
      throw asTemporalFailure(err);
    }
  }
}

/** The failure Temporal records for what an activity threw (exported for the interceptor's test). */
export function asTemporalFailure(err: unknown): unknown {
  if (err instanceof VigilError && err.isRule) {
    return ApplicationFailure.create({
      message: err.message,
      type: `VigilError:${err.code}`,
      nonRetryable: true,
      details: err.details === undefined ? [] : [err.details],
      cause: err,
    });
  }
  return err;
}
