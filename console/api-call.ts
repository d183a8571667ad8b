import { asInProcessCaller, IN_PROCESS_CALLER_HEADER } from '../api/middleware/auth.js';
import { translateApiMessage } from './api-errors.js';
import type { ConsoleContext } from './context.js';
import { sessionOf } from './context.js';

export interface FieldError {
  path: string;
  message: string;
}

export type ApiResult<T> =
  | { ok: true; status: number; data: T }
  | { ok: false; status: number; code: string; message: string; fields: FieldError[] };

function fieldErrors(details: unknown): FieldError[] {
  if (!Array.isArray(details)) return [];
  return details.flatMap((d: unknown) => {
    if (typeof d !== 'object' || d === null) return [];
    // Schema errors name a `path`, business-rule violations a `field`.
    const { path, field, message } = d as { path?: unknown; field?: unknown; message?: unknown };
    const where = typeof path === 'string' ? path : typeof field === 'string' ? field : '';
    return typeof message === 'string' ? [{ path: where, message }] : [];
  });
}

/**
 * Calls the HTTP API in this process as the session's API key: the route's own validation, role check, business
 * rules and audit run exactly as for a curl user, so the console implements no rule a second time.
 */
export async function callApi<T>(
  c: ConsoleContext,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResult<T>> {
  const session = sessionOf(c);
  const caller = {
    accountId: session.accountId,
    apiKeyId: session.apiKeyId,
    role: session.role,
    actor: `key:${session.apiKeyId}`,
  };
  return asInProcessCaller(caller, async (token) => {
    const headers: Record<string, string> = {
      'x-request-id': c.get('requestId'),
      [IN_PROCESS_CALLER_HEADER]: token,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const req = new Request(`http://vigil.console${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const res = await result<T>(await c.get('apiFetch')(req));
    if (res.ok) return res;
    // Errors are shown at their field in the page's language.
    const lang = c.get('lang');
    return {
      ...res,
      message: translateApiMessage(lang, res.message),
      fields: res.fields.map((f) => ({ ...f, message: translateApiMessage(lang, f.message) })),
    };
  });
}

async function result<T>(res: Response): Promise<ApiResult<T>> {
  const type = res.headers.get('content-type') ?? '';
  if (res.ok) {
    const data = (type.includes('json') ? await res.json() : await res.text()) as T;
    return { ok: true, status: res.status, data };
  }
  const parsed = type.includes('json') ? ((await res.json()) as { error?: Record<string, unknown> }) : {};
  const error = parsed.error ?? {};
  return {
    ok: false,
    status: res.status,
    code: typeof error.code === 'string' ? error.code : 'error',
    message: typeof error.message === 'string' ? error.message : `HTTP ${res.status}`,
    fields: fieldErrors(error.details),
  };
}

/** Like callApi, for reads a page cannot do without: an error becomes the console's error page. */
export async function readApi<T>(c: ConsoleContext, path: string): Promise<T> {
  const res = await callApi<T>(c, 'GET', path);
  if (!res.ok) throw new ConsolePageError(res.status, res.message);
  return res.data;
}

export class ConsolePageError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ConsolePageError';
  }
}

/** The page's `:id` path parameter, encoded to stand in an API path. */
export function idParam(c: ConsoleContext): string {
  return encodeURIComponent(c.req.param('id') ?? '');
}

/** The named values of the console request's query string (undefined when absent), in that order. */
export function queryValues<K extends string>(
  c: ConsoleContext,
  names: readonly K[],
): Record<K, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, c.req.query(name)])) as Record<K, string | undefined>;
}

/** Builds a query string from the defined values only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
