import type { MiddlewareHandler } from 'hono';
import { uuidv7 } from '../../domain/ids.js';
import type { Logger } from '../../platform/logger.js';
import type { AppEnv, Services } from '../context.js';

const INCOMING_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * `parent.child(bindings)`, made on first use. Most requests log nothing, and a pino child (its bindings serialized
 * through the redaction rules) allocates several KB — on the admission path that is a good share of all garbage.
 */
export function lazyChildLogger(parent: Logger, bindings: Record<string, string>): Logger {
  let child: Logger | undefined;
  const real = () => (child ??= parent.child(bindings));
  return new Proxy(parent, {
    get(_target, prop) {
      const logger = real();
      const value: unknown = Reflect.get(logger, prop, logger);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(logger) : value;
    },
    set: (_target, prop, value) => Reflect.set(real(), prop, value),
  });
}

/** The caller's `X-Request-Id` when sane, else a new id. */
export function requestIdFrom(incoming: string | undefined): string {
  return incoming && INCOMING_ID.test(incoming) ? incoming : uuidv7();
}

/** Services, a request id (the caller's `X-Request-Id` when sane) and a logger that carries it. */
export function requestContext(services: Services): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const requestId = requestIdFrom(c.req.header('x-request-id'));
    c.set('services', services);
    c.set('requestId', requestId);
    c.set('logger', lazyChildLogger(services.logger, { requestId }));
    c.header('X-Request-Id', requestId);
    await next();
  };
}
