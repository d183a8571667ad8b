import { createRoute, OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './context.js';
import { ApiError, ZErrorEnvelopeSchema } from './errors.js';
import { requireRole } from './middleware/auth.js';
import { idempotency } from './middleware/idempotency.js';
import { inputRules } from './middleware/input-rules.js';
import { deriveOperationId } from './operation-id.js';
import type { Role } from '../domain/roles.js';

/** A schema failure: a 400 with the issues in `details` (the validation hook, and the lean long poll's own check). */
export function schemaMismatch(error: z.ZodError): ApiError {
  return new ApiError(
    'bad_request',
    'the request does not match the schema',
    error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  );
}

/** Every router shares one validation hook: a schema failure is a 400 with the issues in `details`. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw schemaMismatch(result.error);
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

/**
 * How a route authenticates: an API key (with a role), an agent token, a cluster token, an enrollment token in the
 * body (agent registration), the signed token of a link in a mail, or nothing (health checks).
 */
export const AUTH_SCHEMES = [
  'apiKey',
  'agentToken',
  'clusterToken',
  'enrollmentToken',
  'signedLink',
  'none',
] as const;
export type AuthScheme = (typeof AUTH_SCHEMES)[number];

/** The OpenAPI security scheme each way of authenticating is declared as (see `api/routes/docs.ts`). */
const SECURITY_SCHEME: Record<AuthScheme, string | undefined> = {
  apiKey: 'bearer',
  agentToken: 'agentToken',
  clusterToken: 'clusterToken',
  // Credentials in the body or the query string are not an HTTP security scheme.
  enrollmentToken: undefined,
  signedLink: undefined,
  none: undefined,
};

/** How each way of authenticating reads in the operation's description and the README role table. */
export const AUTH_DESCRIPTION: Record<AuthScheme, string> = {
  apiKey: 'API key',
  agentToken: 'agent token',
  clusterToken: 'cluster token',
  enrollmentToken: 'enrollment token in the body',
  signedLink: 'signed token in the link',
  none: 'none',
};

/** OpenAPI extensions on every operation: the least role (API-key routes) and the auth scheme. */
export const ROLE_EXTENSION = 'x-vigil-role';
export const AUTH_EXTENSION = 'x-vigil-auth';

type VigilRouteConfig = RouteConfig & {
  /** Least role that may call the route; GET defaults to viewer, anything else to operator. */
  role?: Role;
  /** Routes that authenticate without an API key (agents, clusters, public links) say how. */
  auth?: AuthScheme;
};

/** One replay store for every API-key route (its clean-up counter is shared). */
const idempotent = idempotency();
const checkInput = inputRules();

/**
 * `createRoute` plus the role check, the security scheme, the operationId and the shared error responses. An
 * API-key POST honours `Idempotency-Key` only after the role check, so a replay is authorised like the first call.
 * Every route applies the shared input rule after its caller is known (its own authentication middleware first).
 * The least role is written into the document once, here: `x-vigil-role` and a line of the description.
 */
export function defineRoute<R extends VigilRouteConfig>(config: R) {
  const { role, auth = 'apiKey', ...rest } = config;
  const needed: Role = role ?? (rest.method === 'get' ? 'viewer' : 'operator');
  const scheme = SECURITY_SCHEME[auth];
  const who = auth === 'apiKey' ? `Least role: \`${needed}\`.` : `Authentication: ${AUTH_DESCRIPTION[auth]}.`;
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
    operationId: rest.operationId ?? deriveOperationId(rest.method, rest.path),
    description: rest.description === undefined ? who : `${rest.description}\n\n${who}`,
    [AUTH_EXTENSION]: auth,
    ...(auth === 'apiKey' ? { [ROLE_EXTENSION]: needed } : {}),
    security: rest.security ?? (scheme === undefined ? [] : [{ [scheme]: [] }]),
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

/**
 * `jsonBody` for bodies of thousands of items (scanner ingest): validated by zod's compiled parser (`z.compile`),
 * synchronously. zValidator always calls `safeParseAsync`, and an asynchronous parse runs zod's interpreted parser
 * (the compiled fast path and the object JIT serve synchronous parses only): a 10,000-vulnerability body took
 * ~35–45 ms of CPU that way, ~4–10 ms compiled. A body the compiled parser rejects is parsed again by the runtime
 * parser, so a 400 carries exactly zod's issues. The compiled schema is a clone sharing the definition, so the
 * OpenAPI document is unchanged. Only for schemas without asynchronous checks: `strict` refuses any other.
 */
export const compiledJsonBody = <T extends z.ZodType>(schema: T) => {
  const compiled = z.compile(schema, { strict: true });
  compiled.safeParseAsync = (data, params) => Promise.resolve(compiled.safeParse(data, params));
  return jsonBody(compiled);
};

export const ZIdParamSchema = z.object({ id: z.uuid({ message: 'must be a UUID' }) });
