import type { z } from '@hono/zod-openapi';
import type { Role } from '../domain/roles.js';
import { pageOf, ZPageQuerySchema } from './pagination.js';
import { defineRoute, json, jsonBody, ZIdParamSchema } from './router.js';

type PageQuery = typeof ZPageQuerySchema;

/**
 * The route shapes every resource repeats, declared once: a collection at `base` and one item at `base/{id}`
 * answered with `schema`. Each returns a `defineRoute` (role check, operationId, shared error responses) with the
 * same fields, in the same order, as the hand-written definition it replaces, so the OpenAPI document is unchanged.
 * Reads take `defineRoute`'s default role, or `readRole`; `writeRole`, when given, is the least role of every other
 * route. A route of
 * another shape (a body on a by-id action, other responses) stays a `defineRoute` of its own.
 */
export function resourceRoutes<B extends string, S extends z.ZodType>(
  base: B,
  tags: string[],
  schema: S,
  opts: { readRole?: Role; writeRole?: Role } = {},
) {
  const item = `${base}/{id}` as const;
  const params = ZIdParamSchema;
  const role = opts.writeRole === undefined ? {} : { role: opts.writeRole };
  const readRole = opts.readRole === undefined ? {} : { role: opts.readRole };
  return {
    /** `GET base`: a page of items, newest first; `query` extends the page query with the list's filters. */
    list: <Q extends z.ZodType = PageQuery>(summary: string, query?: Q) =>
      defineRoute({
        method: 'get',
        path: base,
        ...readRole,
        tags,
        summary,
        request: { query: (query ?? ZPageQuerySchema) as Q },
        responses: { 200: json(pageOf(schema)) },
      }),
    /** `POST base` with `body`: 201 and the new item. */
    create: <P extends z.ZodType>(summary: string, body: P) =>
      defineRoute({
        method: 'post',
        path: base,
        ...role,
        tags,
        summary,
        request: { body: jsonBody(body) },
        responses: { 201: json(schema, 'Created') },
      }),
    /** `GET base` of a singleton (the account, a directory's policy): no parameters. */
    show: (summary: string) =>
      defineRoute({
        method: 'get',
        path: base,
        ...readRole,
        tags,
        summary,
        responses: { 200: json(schema) },
      }),
    /** `GET base/{id}`: one item, or 404. */
    get: (summary: string) =>
      defineRoute({
        method: 'get',
        path: item,
        ...readRole,
        tags,
        summary,
        request: { params },
        responses: { 200: json(schema) },
      }),
    /** `PATCH base/{id}` with `body`: the changed item. */
    patch: <P extends z.ZodType>(summary: string, body: P) =>
      defineRoute({
        method: 'patch',
        path: item,
        ...role,
        tags,
        summary,
        request: { params, body: jsonBody(body) },
        responses: { 200: json(schema) },
      }),
    /** `DELETE base/{id}`: 204 (`Deleted`, or what `description` says). */
    delete: (summary: string, description = 'Deleted') =>
      defineRoute({
        method: 'delete',
        path: item,
        ...role,
        tags,
        summary,
        request: { params },
        responses: { 204: { description } },
      }),
    /** `GET base/{id}/<child>`: a page of `child` items of one item (its deliveries), newest first. */
    childPage: <A extends string, T extends z.ZodType>(child: A, summary: string, childSchema: T) =>
      defineRoute({
        method: 'get',
        path: `${item}/${child}` as const,
        ...readRole,
        tags,
        summary,
        request: { params, query: ZPageQuerySchema },
        responses: { 200: json(pageOf(childSchema)) },
      }),
    /** `GET base/{id}/<child>`: one `child` object of one item (its risks, its settings). */
    child: <A extends string, T extends z.ZodType>(child: A, summary: string, childSchema: T) =>
      defineRoute({
        method: 'get',
        path: `${item}/${child}` as const,
        ...readRole,
        tags,
        summary,
        request: { params },
        responses: { 200: json(childSchema) },
      }),
    /**
     * `POST base/{id}/<action>` without a body: the item after the action, or what `answer` says (another status,
     * schema or description: a clone's 201, a started workflow's 202).
     */
    action: <A extends string, C extends 200 | 201 | 202 = 200, T extends z.ZodType = S>(
      action: A,
      summary: string,
      answer?: { status: C; schema: T; description: string },
    ) =>
      defineRoute({
        method: 'post',
        path: `${item}/${action}` as const,
        ...role,
        tags,
        summary,
        request: { params },
        responses: (answer === undefined
          ? { 200: json(schema) }
          : { [answer.status]: json(answer.schema, answer.description) }) as Record<
          C,
          ReturnType<typeof json<T>>
        >,
      }),
  };
}
