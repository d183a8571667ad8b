import type { Hono } from 'hono';
import { MAX_DELEGATED_ADMINS } from '../../domain/multi-account/directory.js';
import {
  DEFAULT_MEMBER_SETTINGS,
  PROTECTION_MODES,
  type TMemberSettings,
} from '../../domain/multi-account/member-settings.js';
import { callApi, readApi, type FieldError, idParam } from '../api-call.js';
import { can, type ConsoleContext, type ConsoleEnv } from '../context.js';
import { first, readForm, type FormBody } from '../form.js';
import * as ui from '../ui.js';
import type { Paged } from './types.js';

interface DirectoryDto {
  id: string;
  name: string;
  autoAddNewAccounts: boolean;
  role: string;
}
interface DirectoryAccountDto {
  id: string;
  name: string;
  role: string;
  joinedAt: string;
  managed: boolean;
}
interface AdminDto {
  accountId: string;
  name: string;
  since: string;
}
interface OverviewRowDto {
  accountId: string;
  name: string;
  score: number;
  unhandledAlerts: number;
  openVulnerabilities: number;
  baselineRisks: number;
}
interface SettingsStateDto {
  revision: number | null;
  settings: TMemberSettings | null;
  savedAt: string | null;
  rollout: { status: string; agents: number; applied: number; driftCount: number };
  drift: { assetName: string; appliedRevision: number; online: boolean; lastError: string | null }[];
}

/** The Multi-account control tabs: the directory, its invitations, the members' risk overview. */
export function AccountTabs({
  c,
  current,
}: {
  c: ConsoleContext;
  current: 'directory' | 'invitations' | 'overview';
}) {
  const t = c.get('t');
  return (
    <ui.Tabs
      label={t('navAccounts')}
      current={current}
      tabs={[
        ['directory', '/console/accounts', t('resourceDirectory')],
        ['invitations', '/console/accounts/invitations', t('invitations')],
        ['overview', '/console/accounts/overview', t('riskOverview')],
      ]}
    />
  );
}

async function DirectoryPage(props: { c: ConsoleContext; adminKey?: string; errors?: FieldError[] }) {
  const { c } = props;
  const t = c.get('t');
  const directory = await callApi<DirectoryDto>(c, 'GET', '/v1/resource-directory');
  if (!directory.ok) {
    return (
      <ui.Page c={c} title={t('navAccounts')} nav="accounts">
        <AccountTabs c={c} current="directory" />
        <ui.Flash c={c} />
        <p>{directory.message}</p>
        {can(c, 'admin') && (
          <ui.PostForm c={c} action="/console/accounts/directory" row>
            <ui.Field label={t('name')} name="name" errors={props.errors} required />
            <button type="submit">{t('enableDirectory')}</button>
          </ui.PostForm>
        )}
      </ui.Page>
    );
  }
  const management = directory.data.role === 'management';
  const [accounts, admins] = await Promise.all([
    readApi<Paged<DirectoryAccountDto>>(c, '/v1/resource-directory/accounts?limit=200'),
    management
      ? readApi<{ items: AdminDto[]; limit: number }>(c, '/v1/multi-account/delegated-admins')
      : Promise.resolve({ items: [], limit: MAX_DELEGATED_ADMINS }),
  ]);
  return (
    <ui.Page c={c} title={t('navAccounts')} nav="accounts">
      <AccountTabs c={c} current="directory" />
      <ui.Flash c={c} />
      {props.adminKey && (
        <ui.ShownOnce c={c} message={t('keyShownOnce')} id="member-key" text={props.adminKey} />
      )}
      <p>
        <strong>{directory.data.name}</strong> · {ui.word(c, directory.data.role)}
      </p>
      {can(c, 'operator') && (
        <ui.PostForm c={c} action="/console/accounts/auto-add" row>
          <input type="hidden" name="enabled" value={directory.data.autoAddNewAccounts ? 'false' : 'true'} />
          <span>
            {t('autoAdd')}:{' '}
            <strong>{directory.data.autoAddNewAccounts ? t('enabled') : t('disabled')}</strong>
          </span>
          <button type="submit" class="secondary">
            {directory.data.autoAddNewAccounts ? t('disable') : t('enable')}
          </button>
        </ui.PostForm>
      )}
      {management && can(c, 'admin') && (
        <ui.PostForm c={c} action="/console/accounts/members/new" row>
          <ui.Field label={t('name')} name="name" errors={props.errors} required />
          <button type="submit">{t('createMember')}</button>
        </ui.PostForm>
      )}
      {management && (
        <section class="card" aria-labelledby="h-admins">
          <h2 id="h-admins">{t('delegatedAdmins')}</h2>
          <p id="admin-limit">{t('adminLimit', { n: admins.items.length, max: admins.limit })}</p>
          <ul class="plain">
            {admins.items.map((a) => (
              <li>
                {a.name} <span class="muted">{ui.time(a.since)}</span>{' '}
                {can(c, 'admin') && (
                  <ui.ActionButton
                    c={c}
                    action={`/console/accounts/admins/${a.accountId}/remove`}
                    label={t('removeManaged')}
                    danger
                  />
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      <ui.DataTable
        caption={t('resourceDirectory')}
        head={[t('name'), t('role'), t('managed'), t('actions')]}
      >
        {accounts.items.map((a) => (
          <tr>
            <td>{a.managed ? <a href={`/console/accounts/members/${a.id}`}>{a.name}</a> : a.name}</td>
            <td>{ui.word(c, a.role)}</td>
            <td>{a.managed ? t('yes') : t('no')}</td>
            <td class="row">
              {a.role !== 'management' && can(c, 'operator') && (
                <ui.ActionButton
                  c={c}
                  action={`/console/accounts/members/${a.id}/${a.managed ? 'remove' : 'add'}`}
                  label={a.managed ? t('removeManaged') : t('addManaged')}
                  secondary
                />
              )}
              {management && a.role === 'member' && can(c, 'admin') && (
                <ui.ActionButton
                  c={c}
                  action={`/console/accounts/admins/${a.id}/add`}
                  label={t('makeAdmin')}
                  secondary
                />
              )}
            </td>
          </tr>
        ))}
      </ui.DataTable>
    </ui.Page>
  );
}

/** The settings form's values as the API's settings document, starting from the saved one. */
function settingsFromForm(base: TMemberSettings, form: FormBody): unknown {
  const on = (k: string) => first(form, k) === 'on';
  const cm = base.clientManagement;
  const vm = base.vulnerabilityManagement;
  const days = first(form, 'scanCycleDays');
  return {
    ...base,
    clientManagement: Object.fromEntries(
      Object.entries(cm).map(([k, v]) => [
        k,
        typeof v === 'boolean' ? on(k) : k === 'protectionMode' ? first(form, k) : v,
      ]),
    ),
    vulnerabilityManagement: {
      ...vm,
      autoScan: Object.fromEntries(Object.keys(vm.autoScan).map((k) => [k, on(`autoScan.${k}`)])),
      scanCycleDays: /^\d+$/.test(days) ? Number(days) : days,
    },
  };
}

async function MemberPage(props: { c: ConsoleContext; id: string; errors?: FieldError[] }) {
  const { c, id } = props;
  const t = c.get('t');
  const [risks, state] = await Promise.all([
    readApi<OverviewRowDto>(c, `/v1/multi-account/members/${id}/risks`),
    readApi<SettingsStateDto>(c, `/v1/multi-account/members/${id}/settings`),
  ]);
  // Before anyone saved settings the member runs the defaults; the form starts from them.
  const settings = state.settings ?? DEFAULT_MEMBER_SETTINGS;
  const errors = props.errors ?? [];
  return (
    <ui.Page c={c} title={t('navAccounts')} nav="accounts">
      <p>
        <a href="/console/accounts/overview">← {t('riskOverview')}</a>
      </p>
      <ui.Flash c={c} />
      <section class="card grid" aria-label={t('riskOverview')}>
        <div>
          {t('securityScore')}: <strong class="stat">{risks.score}</strong>
        </div>
        <div>
          {t('unhandledAlerts')}: <strong>{risks.unhandledAlerts}</strong>
        </div>
        <div>
          {t('openVulns')}: <strong>{risks.openVulnerabilities}</strong>
        </div>
        <div>
          Baseline: <strong>{risks.baselineRisks}</strong>
        </div>
      </section>
      <section
        class="card"
        id="rollout"
        aria-labelledby="h-rollout"
        hx-get={`/console/accounts/members/${id}`}
        hx-select="#rollout"
        hx-target="#rollout"
        hx-swap="outerHTML"
        hx-trigger={state.rollout.status === 'in-progress' ? 'every 2s' : undefined}
      >
        <h2 id="h-rollout">{t('rollout')}</h2>
        <p id="rollout-status">
          {state.revision === null ? '—' : `r${state.revision}`} · {ui.word(c, state.rollout.status)} ·{' '}
          {t('applied')} {state.rollout.applied} / {state.rollout.agents}
        </p>
        <progress
          max={Math.max(state.rollout.agents, 1)}
          value={state.rollout.applied}
          aria-label={t('rollout')}
        ></progress>
        {state.drift.length > 0 && (
          <>
            <h3>{t('drift')}</h3>
            <ul class="plain">
              {state.drift.map((d) => (
                <li>
                  {d.assetName} r{d.appliedRevision} {d.online ? t('online') : t('offline')}{' '}
                  {d.lastError && <span class="error">{d.lastError}</span>}
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
      {
        <ui.PostForm c={c} action={`/console/accounts/members/${id}/settings`}>
          <h2>{t('protectionSettings')}</h2>
          {errors.length > 0 && (
            <p class="flash bad" role="alert">
              {errors.map((e) => `${e.path}: ${e.message}`).join('; ')}
            </p>
          )}
          <fieldset>
            <legend>clientManagement</legend>
            {Object.entries(settings.clientManagement)
              .filter(([, v]) => typeof v === 'boolean')
              .map(([k, v]) => (
                <label class="inline">
                  <input type="checkbox" name={k} checked={v === true} /> {k}
                </label>
              ))}
            <ui.SelectField
              label="protectionMode"
              name="protectionMode"
              errors={errors}
              path="clientManagement.protectionMode"
              value={settings.clientManagement.protectionMode}
              options={ui.wordOptions(c, PROTECTION_MODES)}
            />
          </fieldset>
          <fieldset>
            <legend>vulnerabilityManagement</legend>
            {Object.entries(settings.vulnerabilityManagement.autoScan).map(([k, v]) => (
              <label class="inline">
                <input type="checkbox" name={`autoScan.${k}`} checked={v} /> {k}
              </label>
            ))}
            <ui.Field
              label="scanCycleDays"
              name="scanCycleDays"
              value={settings.vulnerabilityManagement.scanCycleDays}
              errors={errors}
              path="vulnerabilityManagement.scanCycleDays"
            />
          </fieldset>
          {can(c, 'operator') && (
            <p>
              <button type="submit">{t('pushSettings')}</button>
            </p>
          )}
        </ui.PostForm>
      }
    </ui.Page>
  );
}

export function registerAccountPages(web: Hono<ConsoleEnv>): void {
  web.get('/accounts', async (c) => c.html(await DirectoryPage({ c })));
  web.post('/accounts/directory', async (c) => {
    const res = await callApi(c, 'POST', '/v1/resource-directory', {
      name: first(await readForm(c), 'name'),
    });
    if (!res.ok)
      return c.html(await DirectoryPage({ c, errors: ui.errorsAt(res.fields, res.message, 'name') }), 422);
    return ui.redirectWithFlash(c, `/console/accounts`, { ok: true });
  });
  web.post('/accounts/auto-add', async (c) => {
    const res = await callApi(c, 'PUT', '/v1/multi-account/auto-add', {
      enabled: first(await readForm(c), 'enabled') === 'true',
    });
    return ui.redirectWithFlash(c, `/console/accounts`, res);
  });
  web.post('/accounts/members/new', async (c) => {
    const res = await callApi<{ adminKey: string }>(c, 'POST', '/v1/resource-directory/accounts', {
      name: first(await readForm(c), 'name'),
    });
    if (!res.ok)
      return c.html(await DirectoryPage({ c, errors: ui.errorsAt(res.fields, res.message, 'name') }), 422);
    return c.html(await DirectoryPage({ c, adminKey: res.data.adminKey }), 201);
  });
  web.post('/accounts/members/:id/add', async (c) => {
    const res = await callApi(c, 'POST', '/v1/multi-account/members', { accountId: c.req.param('id') });
    return ui.redirectWithFlash(c, `/console/accounts`, res);
  });
  web.post('/accounts/members/:id/remove', async (c) => {
    const res = await callApi(c, 'DELETE', `/v1/multi-account/members/${idParam(c)}`);
    return ui.redirectWithFlash(c, `/console/accounts`, res);
  });
  web.post('/accounts/admins/:id/add', async (c) => {
    const res = await callApi(c, 'POST', '/v1/multi-account/delegated-admins', {
      accountId: c.req.param('id'),
    });
    return ui.redirectWithFlash(c, `/console/accounts`, res);
  });
  web.post('/accounts/admins/:id/remove', async (c) => {
    const res = await callApi(c, 'DELETE', `/v1/multi-account/delegated-admins/${idParam(c)}`);
    return ui.redirectWithFlash(c, `/console/accounts`, res);
  });

  web.get('/accounts/overview', async (c) => {
    const t = c.get('t');
    const overview = await readApi<{ items: OverviewRowDto[] }>(c, '/v1/multi-account/overview?limit=200');
    return c.html(
      <ui.Page c={c} title={t('navAccounts')} nav="accounts">
        <AccountTabs c={c} current="overview" />
        <ui.DataTable
          head={[t('name'), t('securityScore'), t('unhandledAlerts'), t('openVulns'), 'Baseline']}
        >
          {overview.items.map((m) => (
            <tr>
              <td>
                <a href={`/console/accounts/members/${m.accountId}`}>{m.name}</a>
              </td>
              <td>{m.score}</td>
              <td>{m.unhandledAlerts}</td>
              <td>{m.openVulnerabilities}</td>
              <td>{m.baselineRisks}</td>
            </tr>
          ))}
        </ui.DataTable>
      </ui.Page>,
    );
  });

  web.get('/accounts/members/:id', async (c) => c.html(await MemberPage({ c, id: idParam(c) })));
  web.post('/accounts/members/:id/settings', async (c) => {
    const id = idParam(c);
    const state = await readApi<SettingsStateDto>(c, `/v1/multi-account/members/${id}/settings`);
    const base = state.settings ?? DEFAULT_MEMBER_SETTINGS;
    const res = await callApi(
      c,
      'PUT',
      `/v1/multi-account/members/${id}/settings`,
      settingsFromForm(base, await readForm(c)),
    );
    if (!res.ok) {
      const errors = res.fields.length ? res.fields : [{ path: '', message: res.message }];
      return c.html(await MemberPage({ c, id, errors }), 422);
    }
    return ui.redirectWithFlash(c, `/console/accounts/members/${id}`, { ok: true });
  });
}
