import type { MiddlewareHandler } from 'hono';
import {
  findNul,
  hasNul,
  MAX_JSON_DEPTH,
  NUL_MESSAGE,
  scanJsonText,
  type InputProblem,
} from '../../domain/input-rules.js';
import type { AppEnv } from '../context.js';
import { badRequest } from '../errors.js';

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

const refuse = (problem: InputProblem) =>
  badRequest(`${problem.in} ${problem.path === '' ? 'value' : problem.path} ${problem.message}`, [problem]);

/**
 * The input rule of every route (`defineRoute` puts it before validation): a NUL in a path parameter, a query
 * parameter or anywhere in a JSON body is a 400 naming the field, and a JSON body nested deeper than
 * MAX_JSON_DEPTH is a 400 before anything parses it. The body is read once here (Hono caches the text for the
 * validator) and parsed here only when it holds a NUL, to name the field.
 */
export function inputRules(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    for (const [name, value] of Object.entries(c.req.param() as Record<string, string>)) {
      if (hasNul(value)) throw refuse({ in: 'path', path: name, message: NUL_MESSAGE });
    }
    for (const [name, values] of Object.entries(c.req.queries())) {
      if (hasNul(name) || values.some(hasNul)) {
        throw refuse({ in: 'query', path: name.replaceAll('\u0000', '\\u0000'), message: NUL_MESSAGE });
      }
    }
    if (JSON_MEDIA_TYPE.test(c.req.header('content-type') ?? '')) {
      const text = await c.req.text();
      const scan = scanJsonText(text);
      if (scan.tooDeep) {
        throw badRequest(`the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`, [
          { in: 'body', path: '', message: `nesting deeper than ${MAX_JSON_DEPTH} levels` },
        ]);
      }
      if (scan.hasNul) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          // Not JSON at all: the validator answers that with its own 400.
          return next();
        }
        const path = findNul(parsed);
        if (path !== null) throw refuse({ in: 'body', path, message: NUL_MESSAGE });
      }
    }
    await next();
  };
}
