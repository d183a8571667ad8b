import type { Hono } from 'hono';
import { callApi, readApi, type FieldError } from './api-call.js';
import type { ConsoleContext, ConsoleEnv } from './context.js';
import { readForm, type FormBody } from './form.js';
import type { Paged } from './pages/types.js';

/** What the list page of a shown-once secret renders: the first 100 items, the one just created, form errors. */
export interface ShownOnceView<T> {
  items: T[];
  created?: T;
  errors?: FieldError[];
}

/**
 * The list-and-create pages of a resource whose secret the API shows once (API keys, enrollment tokens): `GET path`
 * lists the first 100 of `api`; `POST path` creates one from the form's `body` and shows the list again with the new
 * secret (201), or with the errors `errorsOf` places (422).
 */
export function registerShownOncePages<T>(
  web: Hono<ConsoleEnv>,
  opts: {
    path: string;
    api: string;
    body: (form: FormBody) => unknown;
    errorsOf: (failed: { fields: FieldError[]; message: string }) => FieldError[];
    render: (c: ConsoleContext, view: ShownOnceView<T>) => Parameters<ConsoleContext['html']>[0];
  },
): void {
  const list = async (c: ConsoleContext) => (await readApi<Paged<T>>(c, `${opts.api}?limit=100`)).items;
  web.get(opts.path, async (c) => c.html(opts.render(c, { items: await list(c) })));
  web.post(opts.path, async (c) => {
    const form = await readForm(c);
    const res = await callApi<T>(c, 'POST', opts.api, opts.body(form));
    const items = await list(c);
    if (!res.ok) return c.html(opts.render(c, { items, errors: opts.errorsOf(res) }), 422);
    return c.html(opts.render(c, { items, created: res.data }), 201);
  });
}
