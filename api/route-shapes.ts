import type { RouteConfig, z } from '@hono/zod-openapi';
import type { Role } from '../domain/roles.js';
import { pageOf, ZPageQuerySchema } from './pagination.js';
import { defineRoute, json, jsonBody, ZIdParamSchema } from './router.js';

type PageQuery = typeof ZPageQuerySchema;

/** One route of a shape below: the fields in the order a hand-written `defineRoute` lists them. */
function shaped<
  M extends 'get' | 'post' | 'patch' | 'delete',
  P extends string,
  Q extends NonNullable<RouteConfig['request']>,
  R extends RouteConfig['responses'],
>(method: M, path: P, role: { role?: Role }, tags: string[], summary: string, request: Q, responses: R) {
  return defineRoute({ method, path, ...role, tags, summary, request, responses });
}

/**
 * The route shapes every resource repeats, declared once: a collection at `base` and one item at `base/{id}`
 * answered with `schema`. Each returns a `defineRoute` (role check, operationId, shared error responses) with the
 * same fields, in the same order, as the hand-written definition it replaces, so the OpenAPI document is unchanged.
 * Reads take `defineRoute`'s default role, or `readRole`; `writeRole`, when given, is the least role of every other
 * route. A route of another shape (a body on a by-id action, other responses) stays a `defineRoute` of its own.
 */
export function resourceRoutes<B extends string, S extends z.ZodType>(
  base: B,
  tags: string[],
  schema: S,
  opts: { readRole?: Role; writeRole?: Role } = {},
) {
  const item = `${base}/{id}` as const;
  const params = ZIdParamSchema;
  const write = opts.writeRole === undefined ? {} : { role: opts.writeRole };
  const read = opts.readRole === undefined ? {} : { role: opts.readRole };
  return {
    /** `GET base`: a page of items, newest first; `query` extends the page query with the list's filters. */
    list: <Q extends z.ZodObject = PageQuery>(summary: string, query?: Q) =>
      shaped(
        'get',
        base,
        read,
        tags,
        summary,
        { query: (query ?? ZPageQuerySchema) as Q },
        {
          200: json(pageOf(schema)),
        },
      ),
    /** `POST base` with `body`: 201 and the new item. */
    create: <P extends z.ZodType>(summary: string, body: P) =>
      shaped('post', base, write, tags, summary, { body: jsonBody(body) }, { 201: json(schema, 'Created') }),
    /** `GET base` of a singleton (the account, a directory's policy): no parameters. */
    show: (summary: string) =>
      defineRoute({ method: 'get', path: base, ...read, tags, summary, responses: { 200: json(schema) } }),
    /** `GET base/{id}`: one item, or 404. */
    get: (summary: string) => shaped('get', item, read, tags, summary, { params }, { 200: json(schema) }),
    /** `PATCH base/{id}` with `body`: the changed item. */
    patch: <P extends z.ZodType>(summary: string, body: P) =>
      shaped('patch', item, write, tags, summary, { params, body: jsonBody(body) }, { 200: json(schema) }),
    /** `DELETE base/{id}`: 204 (`Deleted`, or what `description` says). */
    delete: (summary: string, description = 'Deleted') =>
      shaped('delete', item, write, tags, summary, { params }, { 204: { description } }),
    /** `GET base/{id}/<child>`: a page of `child` items of one item (its deliveries); `query` adds filters. */
    childPage: <A extends string, T extends z.ZodType, Q extends z.ZodObject = PageQuery>(
      child: A,
      summary: string,
      childSchema: T,
      query?: Q,
    ) =>
      shaped(
        'get',
        `${item}/${child}` as const,
        read,
        tags,
        summary,
        { params, query: (query ?? ZPageQuerySchema) as Q },
        {
          200: json(pageOf(childSchema)),
        },
      ),
    /** `GET base/{id}/<child>`: one `child` object of one item (its risks, its settings). */
    child: <A extends string, T extends z.ZodType>(child: A, summary: string, childSchema: T) =>
      shaped('get', `${item}/${child}` as const, read, tags, summary, { params }, { 200: json(childSchema) }),
    /**
     * `POST base/{id}/<action>` without a body: the item after the action, or what `answer` says (another status,
     * schema or description: a clone's 201, a started workflow's 202).
     */
    action: <A extends string, C extends 200 | 201 | 202 = 200, T extends z.ZodType = S>(
      action: A,
      summary: string,
      answer?: { status: C; schema: T; description: string },
    ) =>
      shaped(
        'post',
        `${item}/${action}` as const,
        write,
        tags,
        summary,
        { params },
        (answer === undefined
          ? { 200: json(schema) }
          : { [answer.status]: json(answer.schema, answer.description) }) as Record<
          C,
          ReturnType<typeof json<T>>
        >,
      ),
  };
}
