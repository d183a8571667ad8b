import { createRoute, OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './context.js';
import { ApiError, ZErrorEnvelopeSchema } from './errors.js';
import { requireRole } from './middleware/auth.js';
import { idempotency } from './middleware/idempotency.js';
import { inputRules } from './middleware/input-rules.js';
import type { Role } from '../domain/roles.js';

/** Every router shares one validation hook: a schema failure is a 400 with the issues in `details`. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new ApiError(
          'bad_request',
          'the request does not match the schema',
          result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        );
      }
    },
  });
}

const errorResponses = {
  400: {
    description: 'Malformed request',
    content: { 'application/json': { schema: ZErrorEnvelopeSchema } },
  },
  401: {
    description: 'Missing or invalid API key',
    content: { 'application/json': { schema: ZErrorEnvelopeSchema } },
  },
  403: { description: 'Role too low', content: { 'application/json': { schema: ZErrorEnvelopeSchema } } },
  404: { description: 'Not found', content: { 'application/json': { schema: ZErrorEnvelopeSchema } } },
  409: { description: 'Conflict', content: { 'application/json': { schema: ZErrorEnvelopeSchema } } },
  422: {
    description: 'Business rule violated',
    content: { 'application/json': { schema: ZErrorEnvelopeSchema } },
  },
  429: { description: 'Rate limited', content: { 'application/json': { schema: ZErrorEnvelopeSchema } } },
} as const;

type VigilRouteConfig = RouteConfig & {
  /** Least role that may call the route; GET defaults to viewer, anything else to operator. */
  role?: Role;
  /** Routes that authenticate differently (agents, clusters, public links) set this to 'none'. */
  auth?: 'apiKey' | 'none';
};

/** One replay store for every API-key route (its clean-up counter is shared). */
const idempotent = idempotency();
const checkInput = inputRules();

/**
 * `createRoute` plus the role check, the bearer security scheme and the shared error responses. An API-key POST
 * honours `Idempotency-Key` only after the role check, so a replay is authorised like the first call. Every route
 * applies the shared input rule after its caller is known (its own authentication middleware first).
 */
export function defineRoute<R extends VigilRouteConfig>(config: R) {
  const { role, auth = 'apiKey', ...rest } = config;
  const needed: Role = role ?? (rest.method === 'get' ? 'viewer' : 'operator');
  const own =
    rest.middleware === undefined ? [] : Array.isArray(rest.middleware) ? rest.middleware : [rest.middleware];
  const chain: MiddlewareHandler<AppEnv>[] =
    auth !== 'apiKey'
      ? [...own, checkInput]
      : rest.method === 'post'
        ? [requireRole(needed), checkInput, idempotent, ...own]
        : [requireRole(needed), checkInput, ...own];
  return createRoute({
    ...rest,
    middleware: chain as MiddlewareHandler[],
    security: auth === 'apiKey' ? [{ bearer: [] }] : [],
    responses: { ...errorResponses, ...rest.responses },
  } as unknown as Omit<R, 'role' | 'auth'>);
}

export const json = <T extends z.ZodType>(schema: T, description = 'OK') => ({
  description,
  content: { 'application/json': { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export const ZIdParamSchema = z.object({ id: z.uuid({ message: 'must be a UUID' }) });
