import { SEVERITIES } from '../../domain/findings.js';
import { REPORT_MESSAGES } from '../../domain/reports/messages.js';
import {
  DEFAULT_MONTHLY_SEND_DAY,
  DEFAULT_WEEKLY_SEND_WEEKDAY,
  MAX_MONTHLY_SEND_DAY,
  REPORT_ITEMS,
  REPORT_TYPES,
} from '../../domain/reports/rules.js';
import { callApi, readApi, type FieldError } from '../api-call.js';
import type { ConsoleContext } from '../context.js';
import { first, readForm, type FormBody } from '../form.js';
import type { MessageKey } from '../i18n.js';
import * as ui from '../ui.js';
import type { GroupDto, Paged } from './types.js';

export interface ReportDto {
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
  assetGroupId: string | null;
  minSeverity: (typeof SEVERITIES)[number] | null;
  sendWeekday: number | null;
  sendDayOfMonth: number | null;
  consolidated: boolean;
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
  sendWeekday: string;
  sendDayOfMonth: string;
  assetGroupId: string;
  minSeverity: string;
  consolidated: string;
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
  'sendWeekday',
  'sendDayOfMonth',
  'assetGroupId',
  'minSeverity',
  'consolidated',
] as const;

export const TYPE_KEYS: Record<string, MessageKey> = {
  daily: 'daily',
  weekly: 'weekly',
  monthly: 'monthly',
  custom: 'custom',
};

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
  sendWeekday: '',
  sendDayOfMonth: '',
  assetGroupId: '',
  minSeverity: '',
  consolidated: '',
  items: [...REPORT_ITEMS],
};

function formOfBody(body: FormBody): ReportForm {
  const step1 = Object.fromEntries(STEP1_FIELDS.map((k) => [k, first(body, k)])) as Record<
    (typeof STEP1_FIELDS)[number],
    string
  >;
  return {
    ...step1,
    type: step1.type || 'daily',
    language: step1.language || 'zh-CN',
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
    sendWeekday: r.sendWeekday === null ? '' : String(r.sendWeekday),
    sendDayOfMonth: r.sendDayOfMonth === null ? '' : String(r.sendDayOfMonth),
    assetGroupId: r.assetGroupId ?? '',
    minSeverity: r.minSeverity ?? '',
    consolidated: r.consolidated ? 'on' : '',
    items: r.items,
  };
}

/** A number field as the API takes it: empty is "not set"; anything else goes as typed for the API to judge. */
const numberOrNull = (v: string): number | null => (v.trim() === '' ? null : Number(v));

/**
 * The API body of a form: a custom period as whole UTC days; the send day only for the type that takes one, so
 * that switching a Weekly report to Daily does not send a weekday the API would refuse.
 */
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
    sendWeekday: f.type === 'weekly' ? numberOrNull(f.sendWeekday) : null,
    sendDayOfMonth: f.type === 'monthly' ? numberOrNull(f.sendDayOfMonth) : null,
    assetGroupId: f.assetGroupId || null,
    minSeverity: f.minSeverity || null,
    consolidated: f.consolidated === 'on',
  };
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

/** ISO weekday 1 (Monday) … 7 (Sunday) in the page's language; 1 January 2024 was a Monday. */
function weekdayName(lang: string, day: number): string {
  return new Intl.DateTimeFormat(lang, { weekday: 'long', timeZone: 'UTC' }).format(Date.UTC(2024, 0, day));
}

/** What step 1 offers besides the form's own values: the account's groups, whether it manages a directory. */
interface Choices {
  groups: GroupDto[];
  managesDirectory: boolean;
}

function Step1(props: {
  c: ConsoleContext;
  action: string;
  f: ReportForm;
  errors: FieldError[];
  isDefault: boolean;
  choices: Choices;
}) {
  const { c, f, errors, choices } = props;
  const t = c.get('t');
  const lang = c.get('lang');
  const the = ui.boundFields(f, errors);
  const defaultDay = t('defaultValue', { value: DEFAULT_MONTHLY_SEND_DAY });
  return (
    <form method="post" action={props.action} class="card report-form" novalidate>
      <h2>{t('stepParameters')}</h2>
      <ui.Csrf c={c} />
      <input type="hidden" name="step" value="1" />
      {f.items.map((i) => (
        <input type="hidden" name="items" value={i} />
      ))}
      <FormError errors={errors} />
      <the.Field label={t('reportName')} name="name" required />
      <the.Select
        label={t('reportType')}
        name="type"
        disabled={props.isDefault}
        options={REPORT_TYPES.map((ty): [string, string] => [ty, t(TYPE_KEYS[ty] ?? 'custom')])}
      />
      {props.isDefault && <input type="hidden" name="type" value={f.type} />}
      <div class="row">
        <the.Field label={t('windowFrom')} name="sendWindowStart" type="time" />
        <the.Field label={t('windowTo')} name="sendWindowEnd" type="time" />
        <the.Field label={t('timeZone')} name="timeZone" />
      </div>
      <div class="row when-weekly">
        <the.Select
          label={t('sendWeekday')}
          name="sendWeekday"
          help={t('sendWeekdayHelp')}
          options={[
            ['', t('defaultValue', { value: weekdayName(lang, DEFAULT_WEEKLY_SEND_WEEKDAY) })],
            ...[1, 2, 3, 4, 5, 6, 7].map((d): [string, string] => [String(d), weekdayName(lang, d)]),
          ]}
        />
      </div>
      <div class="row when-monthly">
        <the.Field
          label={t('sendDayOfMonth')}
          name="sendDayOfMonth"
          type="number"
          min={1}
          max={MAX_MONTHLY_SEND_DAY}
          help={`${t('sendDayOfMonthHelp')} ${defaultDay}`}
        />
      </div>
      <div class="row when-custom">
        <the.Field label={t('periodFrom')} name="periodStart" type="date" help={t('periodHelp')} />
        <the.Field label={t('periodTo')} name="periodEnd" type="date" />
      </div>
      <fieldset>
        <legend>{t('scope')}</legend>
        <div class="row">
          <the.Select
            label={t('scopeGroup')}
            name="assetGroupId"
            options={[['', t('allAssets')], ...choices.groups.map((g): [string, string] => [g.id, g.name])]}
          />
          <the.Select
            label={t('minSeverity')}
            name="minSeverity"
            options={[['', t('anySeverity')], ...ui.wordOptions(c, SEVERITIES)]}
          />
        </div>
        {(choices.managesDirectory || f.consolidated === 'on') && (
          <ui.CheckboxField
            label={t('consolidated')}
            name="consolidated"
            checked={f.consolidated === 'on'}
            help={t('consolidatedHelp')}
            errors={errors}
          />
        )}
      </fieldset>
      <the.Select
        label={t('reportLanguage')}
        name="language"
        options={[
          ['zh-CN', t('zhCN')],
          ['en', t('english')],
        ]}
      />
      <ui.Field label={t('recipients')} name="recipients" errors={errors} help={t('recipientsHelp')}>
        <textarea id="f-recipients" name="recipients" rows={3} cols={40} aria-describedby="f-recipients-help">
          {f.recipients}
        </textarea>
      </ui.Field>
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
      <h2>{t('stepItems')}</h2>
      <ui.Csrf c={c} />
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
        <ui.ErrorNote id="items-err" errors={itemErrors} />
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

async function choicesOf(c: ConsoleContext): Promise<Choices> {
  const [groups, directory] = await Promise.all([
    readApi<Paged<GroupDto>>(c, '/v1/asset-groups?limit=200'),
    callApi<{ role: string }>(c, 'GET', '/v1/resource-directory'),
  ]);
  return { groups: groups.items, managesDirectory: directory.ok && directory.data.role === 'management' };
}

/**
 * The create and edit page of a report in the manual's two steps: parameters, then items. Each step posts back
 * here; only "save" on step 2 calls the API, and its errors come back at their field on the step that has it.
 */
export const reportEditor = (mode: 'new' | 'edit') => async (c: ConsoleContext) => {
  const t = c.get('t');
  const id = c.req.param('id');
  const existing =
    mode === 'edit' && id ? await readApi<ReportDto>(c, `/v1/reports/${encodeURIComponent(id)}`) : null;
  const action = existing ? `/console/reports/${existing.id}/edit` : '/console/reports/new';
  const title = existing ? `${t('edit')} — ${existing.name}` : t('createReport');
  const isDefault = existing?.isDefault ?? false;
  const choices = await choicesOf(c);
  const step1 = (f: ReportForm, errors: FieldError[]) => (
    <Step1 c={c} action={action} f={f} errors={errors} isDefault={isDefault} choices={choices} />
  );
  if (c.req.method === 'GET') {
    return c.html(
      <ui.Page c={c} title={title} nav="reports">
        {step1(existing ? formOf(existing) : EMPTY, [])}
      </ui.Page>,
    );
  }
  const body = await readForm(c);
  const f = formOfBody(body);
  const to = first(body, 'to') === '1' ? '1' : first(body, 'step') === '1' ? '2' : 'save';
  if (to !== 'save') {
    return c.html(
      <ui.Page c={c} title={title} nav="reports">
        {to === '1' ? step1(f, []) : <Step2 c={c} action={action} f={f} errors={[]} />}
      </ui.Page>,
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
    <ui.Page c={c} title={title} nav="reports">
      {onStep2 ? <Step2 c={c} action={action} f={f} errors={errors} /> : step1(f, errors)}
    </ui.Page>,
    422,
  );
};
