import type { Hono } from 'hono';
import { REPORT_MESSAGES } from '../../domain/reports/messages.js';
import { MAX_CUSTOM_REPORTS_PER_ACCOUNT, REPORT_ITEMS, REPORT_TYPES } from '../../domain/reports/rules.js';
import { callApi, readApi, type FieldError } from '../api-call.js';
import { can, type ConsoleContext, type ConsoleEnv } from '../context.js';
import { first, readForm } from '../form.js';
import type { MessageKey } from '../i18n.js';
import {
  ActionButton,
  Csrf,
  DataTable,
  Field,
  Flash,
  Page,
  PostForm,
  redirectWithFlash,
  SelectField,
  time,
} from '../ui.js';
import type { Paged } from './types.js';

interface ReportDto {
  id: string;
  name: string;
  type: (typeof REPORT_TYPES)[number];
  isDefault: boolean;
  enabled: boolean;
  timeZone: string;
  sendWindow: { start: string; end: string };
  period: { start: string; end: string } | null;
  language: 'zh-CN' | 'en';
  items: string[];
  recipients: { email: string; status: string }[];
}

interface RecipientDto {
  id: string;
  email: string;
  status: 'pending' | 'verified' | 'unsubscribed';
  verificationSentAt: string | null;
}

interface DeliveryDto {
  id: string;
  periodKey: string;
  email: string;
  status: string;
  error: string | null;
  sentAt: string | null;
}

/** The form's values of both steps; step 2 carries step 1 in hidden fields. */
interface ReportForm {
  name: string;
  type: string;
  timeZone: string;
  sendWindowStart: string;
  sendWindowEnd: string;
  periodStart: string;
  periodEnd: string;
  language: string;
  recipients: string;
  items: string[];
}

const STEP1_FIELDS = [
  'name',
  'type',
  'timeZone',
  'sendWindowStart',
  'sendWindowEnd',
  'periodStart',
  'periodEnd',
  'language',
  'recipients',
] as const;

const TYPE_KEYS: Record<string, MessageKey> = {
  daily: 'daily',
  weekly: 'weekly',
  monthly: 'monthly',
  custom: 'custom',
};

async function reportForm(c: ConsoleContext): Promise<ReportForm> {
  const body = await readForm(c);
  const one = (k: string) => first(body, k);
  return {
    name: one('name'),
    type: one('type') || 'daily',
    timeZone: one('timeZone'),
    sendWindowStart: one('sendWindowStart'),
    sendWindowEnd: one('sendWindowEnd'),
    periodStart: one('periodStart'),
    periodEnd: one('periodEnd'),
    language: one('language') || 'zh-CN',
    recipients: one('recipients'),
    items: body.items ?? [],
  };
}

function formOf(r: ReportDto): ReportForm {
  return {
    name: r.name,
    type: r.type,
    timeZone: r.timeZone,
    sendWindowStart: r.sendWindow.start,
    sendWindowEnd: r.sendWindow.end,
    periodStart: r.period?.start.slice(0, 10) ?? '',
    periodEnd: r.period?.end.slice(0, 10) ?? '',
    language: r.language,
    recipients: r.recipients
      .filter((x) => x.status !== 'removed')
      .map((x) => x.email)
      .join('\n'),
    items: r.items,
  };
}

/** The API body of a form: a custom period as whole UTC days. */
function bodyOf(f: ReportForm) {
  return {
    name: f.name,
    type: f.type,
    ...(f.timeZone ? { timeZone: f.timeZone } : {}),
    sendWindow: { start: f.sendWindowStart, end: f.sendWindowEnd },
    period:
      f.type === 'custom' && f.periodStart && f.periodEnd
        ? { start: `${f.periodStart}T00:00:00Z`, end: `${f.periodEnd}T23:59:59Z` }
        : null,
    language: f.language,
    items: f.items,
    recipients: f.recipients
      .split(/[\s,;]+/)
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

/** A report's items by their names in the page's language (the report catalogue's own words). */
function itemNames(c: ConsoleContext, items: string[]): string {
  const names: Record<string, string> = REPORT_MESSAGES[c.get('lang')].item;
  return items.map((i) => names[i] ?? i).join(c.get('lang') === 'zh-CN' ? '、' : ', ');
}

/** API error paths (schema paths and rule fields) as form field names. */
function formErrors(fields: FieldError[], message: string): FieldError[] {
  const mapped = fields.map((f) => {
    const path = f.path
      .replace(/^sendWindow\.start$/, 'sendWindowStart')
      .replace(/^sendWindow\.end$/, 'sendWindowEnd')
      .replace(/^period(\..*)?$/, 'periodStart')
      .replace(/^recipients\..*$/, 'recipients')
      .replace(/^items\..*$/, 'items');
    return { ...f, path };
  });
  return mapped.length ? mapped : [{ path: 'reports', message }];
}

function Step1(props: {
  c: ConsoleContext;
  action: string;
  f: ReportForm;
  errors: FieldError[];
  isDefault: boolean;
}) {
  const { c, f, errors } = props;
  const t = c.get('t');
  return (
    <form method="post" action={props.action} class="card" novalidate>
      <Csrf c={c} />
      <input type="hidden" name="step" value="1" />
      {f.items.map((i) => (
        <input type="hidden" name="items" value={i} />
      ))}
      <FormError errors={errors} />
      <Field label={t('reportName')} name="name" value={f.name} errors={errors} required />
      <SelectField
        label={t('reportType')}
        name="type"
        errors={errors}
        value={f.type}
        disabled={props.isDefault}
        options={REPORT_TYPES.map((ty): [string, string] => [ty, t(TYPE_KEYS[ty] ?? 'custom')])}
      />
      {props.isDefault && <input type="hidden" name="type" value={f.type} />}
      <div class="row">
        <Field
          label={`${t('reportTime')} (start)`}
          name="sendWindowStart"
          type="time"
          value={f.sendWindowStart}
          errors={errors}
        />
        <Field
          label={`${t('reportTime')} (end)`}
          name="sendWindowEnd"
          type="time"
          value={f.sendWindowEnd}
          errors={errors}
        />
        <Field label={t('timeZone')} name="timeZone" value={f.timeZone} errors={errors} />
      </div>
      <div class="row">
        <Field
          label={`${t('dataPeriod')} (start, UTC)`}
          name="periodStart"
          type="date"
          value={f.periodStart}
          errors={errors}
        />
        <Field
          label={`${t('dataPeriod')} (end, UTC)`}
          name="periodEnd"
          type="date"
          value={f.periodEnd}
          errors={errors}
          path="periodEnd"
        />
      </div>
      <SelectField
        label={t('reportLanguage')}
        name="language"
        errors={errors}
        value={f.language}
        options={[
          ['zh-CN', t('zhCN')],
          ['en', t('english')],
        ]}
      />
      <Field label={t('recipients')} name="recipients" errors={errors} help={t('recipientsHelp')}>
        <textarea id="f-recipients" name="recipients" rows={3} cols={40} aria-describedby="f-recipients-help">
          {f.recipients}
        </textarea>
      </Field>
      <p>
        <button type="submit">{t('nextStep')}</button>
      </p>
    </form>
  );
}

function FormError(props: { errors: FieldError[] }) {
  const general = props.errors.filter((e) => e.path === 'reports' || e.path === '');
  return general.length > 0 ? (
    <p class="flash bad" role="alert" id="form-error">
      {general.map((e) => e.message).join('; ')}
    </p>
  ) : null;
}

function Step2(props: { c: ConsoleContext; action: string; f: ReportForm; errors: FieldError[] }) {
  const { c, f, errors } = props;
  const t = c.get('t');
  const itemErrors = errors.filter((e) => e.path === 'items');
  return (
    <form method="post" action={props.action} class="card">
      <Csrf c={c} />
      <input type="hidden" name="step" value="2" />
      {STEP1_FIELDS.map((k) => (
        <input type="hidden" name={k} value={f[k]} />
      ))}
      <FormError errors={errors} />
      <fieldset aria-describedby={itemErrors.length ? 'items-err' : undefined}>
        <legend>{t('items')}</legend>
        {REPORT_ITEMS.map((i) => (
          <label class="inline">
            <input type="checkbox" name="items" value={i} checked={f.items.includes(i)} />{' '}
            {REPORT_MESSAGES[c.get('lang')].item[i]}
          </label>
        ))}
        {itemErrors.length > 0 && (
          <p class="field-error" id="items-err">
            {itemErrors.map((e) => e.message).join('; ')}
          </p>
        )}
      </fieldset>
      <p class="row">
        <button type="submit" name="to" value="1" class="secondary">
          {t('back')}
        </button>
        <button type="submit" name="to" value="save">
          {t('save')}
        </button>
      </p>
    </form>
  );
}

const EMPTY: ReportForm = {
  name: '',
  type: 'daily',
  timeZone: '',
  sendWindowStart: '08:00',
  sendWindowEnd: '10:00',
  periodStart: '',
  periodEnd: '',
  language: 'zh-CN',
  recipients: '',
  items: [...REPORT_ITEMS],
};

export function registerReportPages(web: Hono<ConsoleEnv>): void {
  web.get('/reports', async (c) => {
    const t = c.get('t');
    const reports = await readApi<{ items: ReportDto[] }>(c, '/v1/reports?limit=100');
    const max = MAX_CUSTOM_REPORTS_PER_ACCOUNT + 1;
    return c.html(
      <Page c={c} title={t('reports')} nav="reports">
        <Flash c={c} />
        <p class="row">
          <span id="report-limit">{t('reportLimit', { n: reports.items.length, max })}</span>
          {can(c, 'operator') && (
            <a class="button" href="/console/reports/new">
              {t('createReport')}
            </a>
          )}
          <a href="/console/reports/recipients">{t('emailRecipients')}</a>
        </p>
        <div class="grid">
          {reports.items.map((r) => (
            <section class="card" aria-labelledby={`r-${r.id}`}>
              <h2 id={`r-${r.id}`}>
                {r.name} {r.isDefault && <span class="badge">{t('defaultReport')}</span>}
              </h2>
              <p>
                {t(TYPE_KEYS[r.type] ?? 'custom')} · {r.sendWindow.start}–{r.sendWindow.end} {r.timeZone} ·{' '}
                {r.language} · <strong>{r.enabled ? t('enabled') : t('disabled')}</strong>
              </p>
              <p class="report-items">{itemNames(c, r.items)}</p>
              <p class="muted">{r.recipients.map((x) => `${x.email} (${x.status})`).join(', ') || '—'}</p>
              <div class="row">
                {can(c, 'operator') && (
                  <>
                    <a href={`/console/reports/${r.id}/edit`}>{t('edit')}</a>
                    <ActionButton
                      c={c}
                      action={`/console/reports/${r.id}/${r.enabled ? 'disable' : 'enable'}`}
                      label={r.enabled ? t('disable') : t('enable')}
                      secondary
                    />
                    {r.type === 'custom' && (
                      <ActionButton
                        c={c}
                        action={`/console/reports/${r.id}/send`}
                        label={t('sendNow')}
                        secondary
                      />
                    )}
                    <ActionButton
                      c={c}
                      action={`/console/reports/${r.id}/clone`}
                      label={t('clone')}
                      secondary
                    />
                    {!r.isDefault && (
                      <ActionButton
                        c={c}
                        action={`/console/reports/${r.id}/delete`}
                        label={t('delete')}
                        danger
                      />
                    )}
                  </>
                )}
                <a href={`/console/reports/${r.id}/export`}>{t('export')}</a>
                <a href={`/console/reports/${r.id}/deliveries`}>{t('deliveries')}</a>
              </div>
            </section>
          ))}
        </div>
      </Page>,
    );
  });

  const editor = (mode: 'new' | 'edit') => async (c: ConsoleContext) => {
    const t = c.get('t');
    const id = c.req.param('id');
    const existing =
      mode === 'edit' && id ? await readApi<ReportDto>(c, `/v1/reports/${encodeURIComponent(id)}`) : null;
    const action = existing ? `/console/reports/${existing.id}/edit` : '/console/reports/new';
    const title = existing ? `${t('edit')} — ${existing.name}` : t('createReport');
    const isDefault = existing?.isDefault ?? false;
    if (c.req.method === 'GET') {
      return c.html(
        <Page c={c} title={title} nav="reports">
          <Step1
            c={c}
            action={action}
            f={existing ? formOf(existing) : EMPTY}
            errors={[]}
            isDefault={isDefault}
          />
        </Page>,
      );
    }
    const body = await readForm(c);
    const f = await reportForm(c);
    const to = first(body, 'to') === '1' ? '1' : first(body, 'step') === '1' ? '2' : 'save';
    if (to !== 'save') {
      return c.html(
        <Page c={c} title={title} nav="reports">
          {to === '1' ? (
            <Step1 c={c} action={action} f={f} errors={[]} isDefault={isDefault} />
          ) : (
            <Step2 c={c} action={action} f={f} errors={[]} />
          )}
        </Page>,
      );
    }
    const res = existing
      ? await callApi<ReportDto>(c, 'PATCH', `/v1/reports/${existing.id}`, bodyOf(f))
      : await callApi<ReportDto>(c, 'POST', '/v1/reports', bodyOf(f));
    if (res.ok) return c.redirect(`/console/reports?ok=${encodeURIComponent(t('saved'))}`, 303);
    const errors = formErrors(res.fields, res.message);
    // An error about the items stays on step 2; anything else goes back to the parameters of step 1.
    const onStep2 = errors.every((e) => e.path === 'items' || e.path === 'reports');
    return c.html(
      <Page c={c} title={title} nav="reports">
        {onStep2 ? (
          <Step2 c={c} action={action} f={f} errors={errors} />
        ) : (
          <Step1 c={c} action={action} f={f} errors={errors} isDefault={isDefault} />
        )}
      </Page>,
      422,
    );
  };
  web.get('/reports/new', editor('new'));
  web.post('/reports/new', editor('new'));

  web.get('/reports/recipients', async (c) => {
    const t = c.get('t');
    const list = await readApi<Paged<RecipientDto>>(c, '/v1/email-recipients?limit=200');
    return c.html(
      <Page c={c} title={t('emailRecipients')} nav="reports">
        <Flash c={c} />
        {can(c, 'operator') && (
          <PostForm c={c} action="/console/reports/recipients" row>
            <Field label={t('email')} name="email" type="email" required />
            <button type="submit">{t('addRecipient')}</button>
          </PostForm>
        )}
        <DataTable head={[t('email'), t('status'), can(c, 'operator') && t('actions')]}>
          {list.items.map((r) => (
            <tr>
              <td>{r.email}</td>
              <td class={`s-${r.status}`}>
                {r.status === 'verified'
                  ? t('verified')
                  : r.status === 'pending'
                    ? t('unverified')
                    : r.status}
              </td>
              {can(c, 'operator') && (
                <td class="row">
                  {r.status === 'pending' && (
                    <form method="post" action="/console/reports/recipients" class="inline-form">
                      <Csrf c={c} />
                      <input type="hidden" name="email" value={r.email} />
                      <button type="submit" class="secondary">
                        {t('resendVerification')}
                      </button>
                    </form>
                  )}
                  <ActionButton
                    c={c}
                    action={`/console/reports/recipients/${r.id}/delete`}
                    label={t('delete')}
                    danger
                  />
                </td>
              )}
            </tr>
          ))}
        </DataTable>
      </Page>,
    );
  });
  web.post('/reports/recipients', async (c) => {
    const body = await readForm(c);
    const res = await callApi(c, 'POST', '/v1/email-recipients', { email: first(body, 'email') });
    return redirectWithFlash(c, `/console/reports/recipients`, res);
  });
  web.post('/reports/recipients/:id/delete', async (c) => {
    const res = await callApi(c, 'DELETE', `/v1/email-recipients/${encodeURIComponent(c.req.param('id'))}`);
    return redirectWithFlash(c, `/console/reports/recipients`, res);
  });

  web.get('/reports/:id/edit', editor('edit'));
  web.post('/reports/:id/edit', editor('edit'));

  for (const [verb, method, path] of [
    ['enable', 'POST', 'enable'],
    ['disable', 'POST', 'disable'],
    ['send', 'POST', 'send'],
    ['clone', 'POST', 'clone'],
    ['delete', 'DELETE', ''],
  ] as const) {
    web.post(`/reports/:id/${verb}`, async (c) => {
      const id = encodeURIComponent(c.req.param('id'));
      const res = await callApi(c, method, `/v1/reports/${id}${path ? `/${path}` : ''}`);
      return redirectWithFlash(c, `/console/reports`, res);
    });
  }

  web.get('/reports/:id/export', async (c) => {
    const id = encodeURIComponent(c.req.param('id'));
    const html = await readApi<string>(c, `/v1/reports/${id}/export`);
    c.header('Content-Disposition', `attachment; filename="vigil-report-${id}.html"`);
    return c.body(html, 200, { 'Content-Type': 'text/html; charset=utf-8' });
  });

  web.get('/reports/:id/deliveries', async (c) => {
    const t = c.get('t');
    const id = encodeURIComponent(c.req.param('id'));
    const [report, list] = await Promise.all([
      readApi<ReportDto>(c, `/v1/reports/${id}`),
      readApi<Paged<DeliveryDto>>(c, `/v1/reports/${id}/deliveries?limit=100`),
    ]);
    return c.html(
      <Page c={c} title={`${t('deliveries')} — ${report.name}`} nav="reports">
        <DataTable head={[t('period'), t('email'), t('status'), t('sentAt'), 'HTML']}>
          {list.items.map((d) => (
            <tr>
              <td>{d.periodKey}</td>
              <td>{d.email}</td>
              <td>
                {d.status} {d.error && <span class="error">{d.error}</span>}
              </td>
              <td>{time(d.sentAt)}</td>
              <td>
                <a href={`/console/reports/${id}/deliveries/${d.id}/html`}>HTML</a>
              </td>
            </tr>
          ))}
        </DataTable>
      </Page>,
    );
  });

  web.get('/reports/:id/deliveries/:deliveryId/html', async (c) => {
    const id = encodeURIComponent(c.req.param('id'));
    const did = encodeURIComponent(c.req.param('deliveryId'));
    const html = await readApi<string>(c, `/v1/reports/${id}/deliveries/${did}/html`);
    // The mail as it was sent, sandboxed: its own links, no script, not our origin.
    c.header('Content-Security-Policy', "sandbox; default-src data: cid:; style-src 'unsafe-inline'");
    return c.body(html, 200, { 'Content-Type': 'text/html; charset=utf-8' });
  });
}
