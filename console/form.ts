import type { ConsoleContext } from './context.js';

/** A submitted form: every field as the list of its string values (files are not accepted anywhere). */
export type FormBody = Record<string, string[]>;

/**
 * Reads the form once, keeping repeated fields. Always with `all: true`: Hono caches the first parse of a body
 * whatever its options, so one reader must serve the CSRF check and the handler alike.
 */
export async function readForm(c: ConsoleContext): Promise<FormBody> {
  const type = c.req.header('content-type') ?? '';
  if (!type.includes('form')) return {};
  const parsed = await c.req.parseBody({ all: true });
  const out: FormBody = {};
  for (const [k, v] of Object.entries(parsed)) {
    out[k] = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
  }
  return out;
}

export const first = (form: FormBody, key: string): string => form[key]?.[0] ?? '';
