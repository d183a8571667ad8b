import type { z } from '@hono/zod-openapi';
import type { Role } from '../domain/roles.js';
import { pageOf, ZPageQuerySchema } from './pagination.js';
import { defineRoute, json, jsonBody, ZIdParamSchema } from './router.js';

type PageQuery = typeof ZPageQuerySchema;

/**
 * The route shapes every resource repeats, declared once: a collection at `base` and one item at `base/{id}`
 * answered with `schema`. Each returns a `defineRoute` (role check, operationId, shared error responses) with the
 * same fields, in the same order, as the hand-written definition it replaces, so the OpenAPI document is unchanged.
 * A route of another shape (another role, a body on a by-id action, other responses) stays a `defineRoute` of its own.
 */
export function resourceRoutes<B extends string, S extends z.ZodType>(base: B, tags: string[], schema: S) {
  const item = `${base}/{id}` as const;
  const params = ZIdParamSchema;
  return {
    /** `GET base`: a page of items, newest first; `query` extends the page query with the list's filters. */
    list: <Q extends PageQuery = PageQuery>(summary: string, query?: Q) =>
      defineRoute({
        method: 'get',
        path: base,
        tags,
        summary,
        request: { query: (query ?? ZPageQuerySchema) as Q },
        responses: { 200: json(pageOf(schema)) },
      }),
    /** `POST base` with `body`: 201 and the new item. */
    create: <P extends z.ZodType>(summary: string, body: P, role?: Role) =>
      defineRoute({
        method: 'post',
        path: base,
        ...(role === undefined ? {} : { role }),
        tags,
        summary,
        request: { body: jsonBody(body) },
        responses: { 201: json(schema, 'Created') },
      }),
    /** `GET base` of a singleton (the account, a directory's policy): no parameters. */
    show: (summary: string) =>
      defineRoute({ method: 'get', path: base, tags, summary, responses: { 200: json(schema) } }),
    /** `GET base/{id}`: one item, or 404. */
    get: (summary: string) =>
      defineRoute({
        method: 'get',
        path: item,
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
        tags,
        summary,
        request: { params, body: jsonBody(body) },
        responses: { 200: json(schema) },
      }),
    /** `DELETE base/{id}`: 204. */
    delete: (summary: string, role?: Role) =>
      defineRoute({
        method: 'delete',
        path: item,
        ...(role === undefined ? {} : { role }),
        tags,
        summary,
        request: { params },
        responses: { 204: { description: 'Deleted' } },
      }),
    /** `POST base/{id}/<action>` without a body: the item after the action. */
    action: <A extends string>(action: A, summary: string) =>
      defineRoute({
        method: 'post',
        path: `${item}/${action}` as const,
        tags,
        summary,
        request: { params },
        responses: { 200: json(schema) },
      }),
  };
}
