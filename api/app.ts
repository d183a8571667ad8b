import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { mountConsole } from '../console/app.js';
import type { AppEnv, Services } from './context.js';
import { ApiError, errorAnswer, errorBody } from './errors.js';
import { lazyAllowedMethods } from './method-not-allowed.js';
import { authenticate } from './middleware/auth.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requestContext } from './middleware/request-context.js';
import { createRouter } from './router.js';
import { registerRoutes } from './routes/index.js';

/**
 * Hono's bodyLimit, but a request whose Content-Length settles its size (or a GET/HEAD) is checked without
 * touching `c.req.raw.body`: that getter turns the Node request into a web stream and costs @hono/node-server's
 * fast body read on every JSON request. Chunked bodies, and bodies without a length, still go through bodyLimit.
 */
function requestBodyLimit(maxSize: number): MiddlewareHandler<AppEnv> {
  const tooLarge = () => {
    throw new ApiError('payload_too_large', `the request body is larger than ${maxSize} bytes`);
  };
  const streamed = bodyLimit({ maxSize, onError: tooLarge });
  return async (c, next) => {
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) {
      // A GET or HEAD carries no body; anything else without a length (chunked, or built in-process) is counted.
      return c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : streamed(c, next);
    }
    if (Number.parseInt(length, 10) > maxSize) tooLarge();
    return next();
  };
}

/** The whole HTTP API: `/v1/*` behind API keys, plus the agent, admission, health and docs surfaces. */
export function createApp(services: Services): OpenAPIHono<AppEnv> {
  const app = createRouter();
  app.use('*', requestContext(services));
  app.use('*', requestBodyLimit(services.config.VIGIL_MAX_BODY_BYTES));
  app.use('/v1/*', authenticate(), rateLimit(services.config.VIGIL_RATE_LIMIT_PER_MINUTE));

  app.onError((err, c) => {
    const answer = errorAnswer(err, {
      requestId: c.get('requestId') ?? 'unknown',
      path: c.req.path,
      logger: c.get('logger') ?? services.logger,
    });
    return c.json(answer.body, answer.status, answer.headers);
  });
  const allowedMethods = lazyAllowedMethods(app);
  app.notFound((c) => {
    const requestId = c.get('requestId') ?? 'unknown';
    // The path exists with other methods: 405 and the methods it has (RFC 9110 §15.5.6), not a misleading 404.
    const allow = allowedMethods(c.req.path);
    if (allow.length > 0 && !allow.includes(c.req.method)) {
      const message = `${c.req.method} is not allowed on ${c.req.path}; use ${allow.join(', ')}`;
      return c.json(errorBody('method_not_allowed', message, requestId), 405, { Allow: allow.join(', ') });
    }
    return c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`, requestId), 404);
  });

  registerRoutes(app);
  mountConsole(app, services);
  return app;
}
