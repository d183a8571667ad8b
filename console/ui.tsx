import { isValidElement, type Child, type JSXNode } from 'hono/jsx';
import type { ConsoleContext } from './context.js';
import { can } from './context.js';
import { query, type FieldError } from './api-call.js';
import type { MessageKey } from './i18n.js';
import { STATIC_ASSETS } from './static/assets.js';
import { statusWord } from './status-words.js';

const NAV: { href: string; key: MessageKey; id: string }[] = [
  { href: '/console', key: 'navOverview', id: 'overview' },
  { href: '/console/assets', key: 'navAssets', id: 'assets' },
  { href: '/console/playbook/policies', key: 'navPlaybook', id: 'playbook' },
  { href: '/console/reports', key: 'navReports', id: 'reports' },
  { href: '/console/signature/witnesses', key: 'navSignature', id: 'signature' },
  { href: '/console/accounts', key: 'navAccounts', id: 'accounts' },
  { href: '/console/notifications', key: 'navNotifications', id: 'notifications' },
  { href: '/console/audit-log', key: 'navAudit', id: 'audit' },
  { href: '/console/api-keys', key: 'navKeys', id: 'keys' },
];

/** The hidden CSRF field every console form carries. */
export const Csrf = ({ c }: { c: ConsoleContext }) => (
  <input type="hidden" name="_csrf" value={c.get('csrf')} />
);

function languageSwitch(c: ConsoleContext) {
  const other = c.get('lang') === 'en' ? 'zh-CN' : 'en';
  const back = new URL(c.req.url).pathname + new URL(c.req.url).search;
  return `/console/lang?to=${encodeURIComponent(other)}&back=${encodeURIComponent(back)}`;
}

/** The page shell: header with language switch and sign-out, side navigation, the page's content. */
export function Page(props: { c: ConsoleContext; title: string; nav?: string; children?: Child }) {
  const { c } = props;
  const t = c.get('t');
  const session = c.get('session');
  return (
    <html lang={c.get('lang')}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false}' />
        <title>{`${props.title} · ${t('appName')}`}</title>
        <link rel="stylesheet" href={STATIC_ASSETS.css.path} />
        <script src={STATIC_ASSETS.htmx.path} defer></script>
        <script src={STATIC_ASSETS.js.path} defer></script>
      </head>
      <body hx-headers={JSON.stringify({ 'X-CSRF-Token': c.get('csrf') })}>
        <a class="skip" href="#main">
          {t('skip')}
        </a>
        <header class="top">
          <a class="brand" href="/console">
            {t('appName')}
          </a>
          <a
            href={languageSwitch(c)}
            lang={c.get('lang') === 'en' ? 'zh-CN' : 'en'}
            hreflang={c.get('lang') === 'en' ? 'zh-CN' : 'en'}
          >
            {t('switchTo')}
          </a>
          {session && (
            <>
              <span>{t('signedInAs', { role: word(c, session.role) })}</span>
              <form method="post" action="/console/sign-out">
                <Csrf c={c} />
                <button class="link" type="submit">
                  {t('signOut')}
                </button>
              </form>
            </>
          )}
        </header>
        <div class="shell">
          {session && (
            <nav class="side" aria-label="Vigil">
              {NAV.filter((n) => n.id !== 'keys' || can(c, 'admin')).map((n) => (
                <a href={n.href} aria-current={props.nav === n.id ? 'page' : undefined}>
                  {t(n.key)}
                </a>
              ))}
            </nav>
          )}
          <main id="main">
            <h1>{props.title}</h1>
            {props.children}
          </main>
        </div>
      </body>
    </html>
  );
}

interface FieldProps {
  label: string;
  name: string;
  errors?: FieldError[];
  /** The API's error path for this field when it differs from the form name. */
  path?: string;
  children?: Child;
  value?: string | number | null;
  type?: string;
  required?: boolean;
  min?: number;
  max?: number;
  help?: string;
}

/** A field's id, the API's errors at its path, and the ids of the notes that describe it. */
function fieldState(props: { name: string; errors?: FieldError[]; path?: string; help?: string }) {
  const path = props.path ?? props.name;
  const errs = (props.errors ?? []).filter((e) => e.path === path || e.path.startsWith(`${path}.`));
  const id = `f-${props.name}`;
  const described = [errs.length ? `${id}-err` : '', props.help ? `${id}-help` : '']
    .filter(Boolean)
    .join(' ');
  return {
    id,
    errs,
    aria: { 'aria-invalid': errs.length ? 'true' : undefined, 'aria-describedby': described || undefined },
  };
}

/** A field's help and, below it, the API's errors for it. */
function FieldNotes(props: { id: string; help?: string; errs: FieldError[] }) {
  return (
    <>
      {props.help && (
        <p class="muted" id={`${props.id}-help`}>
          {props.help}
        </p>
      )}
      <ErrorNote id={`${props.id}-err`} errors={props.errs} />
    </>
  );
}

/** The API's errors for one field or group of fields, or nothing when there are none. */
export function ErrorNote(props: { id?: string; errors: FieldError[]; alert?: boolean }) {
  return props.errors.length > 0 ? (
    <p class="field-error" id={props.id} role={props.alert ? 'alert' : undefined}>
      {props.errors.map((e) => e.message).join('; ')}
    </p>
  ) : null;
}

/** A labelled form field with the API's error for it, if any, shown at the field. */
export function Field(props: FieldProps) {
  const { id, errs, aria } = fieldState(props);
  return (
    <div>
      <label for={id}>{props.label}</label>
      {props.children ?? (
        <input
          id={id}
          name={props.name}
          type={props.type ?? 'text'}
          value={props.value ?? ''}
          required={props.required}
          min={props.min}
          max={props.max}
          {...aria}
        />
      )}
      <FieldNotes id={id} help={props.help} errs={errs} />
    </div>
  );
}

/** Fields of one form: each takes its value from the form's values and its error from the API's errors. */
export function boundFields<V extends object>(values: V, errors: FieldError[]) {
  const valueOf = (name: keyof V) => {
    const v: unknown = values[name];
    return typeof v === 'string' || typeof v === 'number' ? v : null;
  };
  return {
    Field: (props: Omit<FieldProps, 'value' | 'errors'> & { name: keyof V & string }) => (
      <Field {...props} value={valueOf(props.name)} errors={errors} />
    ),
    Select: (props: Omit<SelectProps, 'value' | 'errors'> & { name: keyof V & string }) => (
      <SelectField {...props} value={String(valueOf(props.name) ?? '')} errors={errors} />
    ),
  };
}

/** A checkbox with its label beside it, its help and the API's error for it (sent as "on" when ticked). */
export function CheckboxField(props: {
  label: string;
  name: string;
  checked: boolean;
  help?: string;
  errors?: FieldError[];
}) {
  const { id, errs, aria } = fieldState(props);
  return (
    <div>
      <label class="inline" for={id}>
        <input type="checkbox" id={id} name={props.name} checked={props.checked} {...aria} /> {props.label}
      </label>
      <FieldNotes id={id} help={props.help} errs={errs} />
    </div>
  );
}

/** A one-button form posting to a console action (with its CSRF token). */
export function ActionButton(props: {
  c: ConsoleContext;
  action: string;
  label: string;
  danger?: boolean;
  secondary?: boolean;
}) {
  return (
    <form method="post" action={props.action} class="inline-form">
      <Csrf c={props.c} />
      <button type="submit" class={props.danger ? 'danger' : props.secondary ? 'secondary' : undefined}>
        {props.label}
      </button>
    </form>
  );
}

export function Flash(props: { c: ConsoleContext }) {
  const ok = props.c.req.query('ok');
  const bad = props.c.req.query('error');
  return (
    <>
      {ok && (
        <p class="flash" role="status">
          {ok}
        </p>
      )}
      {bad && (
        <p class="flash bad" role="alert">
          {bad}
        </p>
      )}
    </>
  );
}

/** Times in UTC with the zone written out, the same in both languages. */
export function time(iso: string | null | undefined): string {
  if (!iso) return '—';
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/** A status from the API as a badge: the word in the page's language, the class from the API's value. */
export const Status = ({ c, value }: { c: ConsoleContext; value: string }) => (
  <span class={`badge s-${value}`}>{statusWord(c.get('lang'), value)}</span>
);

/** A status from the API as a plain word of the page's language. */
export const word = (c: ConsoleContext, value: string): string => statusWord(c.get('lang'), value);

/** Status values as select options, each labelled with its word in the page's language. */
export const wordOptions = (c: ConsoleContext, values: readonly string[]): [string, string][] =>
  values.map((v) => [v, word(c, v)]);

/** The nodes of a rendered list: arrays and fragments opened up, text and nothing left out. */
function elements(child: Child): JSXNode[] {
  if (Array.isArray(child)) return child.flatMap(elements);
  if (!isValidElement(child)) return [];
  const node = child as JSXNode;
  return node.tag === '' ? node.children.flatMap(elements) : [node];
}

/** Each row's cells get their column's name, which a phone shows before the value when rows are stacked. */
function labelCells(rows: Child, head: string[]): void {
  for (const row of elements(rows)) {
    if (row.tag !== 'tr') continue;
    elements(row.children).forEach((cell, i) => {
      const label = head[i];
      if (cell.tag === 'td' && label && cell.props['data-label'] === undefined)
        cell.props['data-label'] = label;
    });
  }
}

/**
 * A table with a header row; cells of a falsy header are left out (columns a role cannot use). On a phone its
 * rows stack into cards, each value under its column's name, so that nothing scrolls sideways.
 */
export function DataTable(props: { head: (string | false)[]; caption?: string; children?: Child }) {
  const head = props.head.filter((h): h is string => h !== false);
  labelCells(props.children, head);
  return (
    // A wide table can still scroll on a mid-size screen: the region takes keyboard focus so that it can be
    // scrolled without a pointer too.
    <div class="scroll" tabindex={0} role="region" aria-label={props.caption ?? head.join(', ')}>
      <table class="stack">
        {props.caption && <caption class="muted">{props.caption}</caption>}
        <thead>
          <tr>
            {head.map((h) => (
              <th scope="col">{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

/** Back to a console page after an action, with the API's verdict as the page's flash message. */
export function redirectWithFlash(
  c: ConsoleContext,
  path: string,
  res: { ok: true } | { ok: false; message: string },
) {
  const flash = res.ok
    ? `ok=${encodeURIComponent(c.get('t')('done'))}`
    : `error=${encodeURIComponent(res.message)}`;
  return c.redirect(`${path}${path.includes('?') ? '&' : '?'}${flash}`, 303);
}

/** A page's tab bar; the current tab is marked for screen readers as well as drawn. */
export function Tabs(props: {
  label: string;
  current: string;
  tabs: [id: string, href: string, label: string][];
}) {
  return (
    <nav class="tabs" aria-label={props.label}>
      {props.tabs.map(([id, href, label]) => (
        <a href={href} aria-current={id === props.current ? 'page' : undefined}>
          {label}
        </a>
      ))}
    </nav>
  );
}

interface SelectProps {
  label: string;
  name: string;
  options: readonly (string | [value: string, label: string])[];
  value?: string | null;
  errors?: FieldError[];
  path?: string;
  disabled?: boolean;
  help?: string;
}

/** A labelled select whose options are values, or value/label pairs; the API's error for it shown at the field. */
export function SelectField(props: SelectProps) {
  const { id, aria } = fieldState(props);
  return (
    <Field label={props.label} name={props.name} errors={props.errors} path={props.path} help={props.help}>
      <select id={id} name={props.name} disabled={props.disabled} {...aria}>
        {props.options.map((o) => {
          const [value, label] = typeof o === 'string' ? [o, o] : o;
          return (
            <option value={value} selected={value === props.value}>
              {label}
            </option>
          );
        })}
      </select>
    </Field>
  );
}

/** A POST form of the console (CSRF field included) laid out as a card. */
export function PostForm(props: { c: ConsoleContext; action: string; row?: boolean; children?: Child }) {
  return (
    <form method="post" action={props.action} class={props.row ? 'card row' : 'card'}>
      <Csrf c={props.c} />
      {props.children}
    </form>
  );
}

/** A GET form that filters a list (its fields, then the Filter button). */
export function FilterForm(props: { c: ConsoleContext; action: string; children?: Child }) {
  return (
    <form method="get" action={props.action} class="row card" role="search">
      {props.children}
      <button type="submit">{props.c.get('t')('filter')}</button>
    </form>
  );
}

/** A secret or config the API shows once, with a copy button. */
export function ShownOnce(props: {
  c: ConsoleContext;
  message: string;
  id: string;
  text: string;
  pre?: boolean;
}) {
  return (
    <section class="card" role="status">
      <p>{props.message}</p>
      {props.pre ? (
        <pre tabindex={0} id={props.id}>
          {props.text}
        </pre>
      ) : (
        <code class="cmd" id={props.id}>
          {props.text}
        </code>
      )}
      <p>
        <button type="button" class="secondary" data-copy={props.id}>
          {props.c.get('t')('copy')}
        </button>
      </p>
    </section>
  );
}

/**
 * The link to the next page of a cursor-paged list, when there is one: `path` with the list's own filters (`params`)
 * and the page's `cursor`.
 */
export function NextPage(props: {
  c: ConsoleContext;
  path: string;
  cursor: string | null | undefined;
  params?: Record<string, string | number | undefined | null>;
}) {
  return props.cursor ? (
    <p>
      <a href={`${props.path}${query({ ...props.params, cursor: props.cursor })}`}>
        {props.c.get('t')('next')}
      </a>
    </p>
  ) : null;
}

/** A card of "label: value" facts about one object. */
export function Facts(props: { label?: string; facts: [label: string, value: Child][] }) {
  return (
    <section class="card grid" aria-label={props.label}>
      {props.facts.map(([label, value]) => (
        <div>
          <strong>{label}</strong>: {value}
        </div>
      ))}
    </section>
  );
}

/** The API's field errors, or its message at the form's main field when it names none. */
export function errorsAt(fields: FieldError[], message: string, main: string): FieldError[] {
  return fields.length ? fields : [{ path: main, message }];
}
