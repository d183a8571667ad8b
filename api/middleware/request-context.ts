import type { MiddlewareHandler } from 'hono';
import { uuidv7 } from '../../domain/ids.js';
import type { AppEnv, Services } from '../context.js';

const INCOMING_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Services, a request id (the caller's `X-Request-Id` when sane) and a logger that carries it. */
export function requestContext(services: Services): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : uuidv7();
    c.set('services', services);
    c.set('requestId', requestId);
    c.set('logger', services.logger.child({ requestId }));
    c.header('X-Request-Id', requestId);
    await next();
  };
}
