import type { Hono } from 'hono';
import { MAX_TASK_VULNERABILITIES } from '../../domain/playbook/policy.js';
import { callApi, query, readApi, type FieldError } from '../api-call.js';
import type { ConsoleContext, ConsoleEnv } from '../context.js';
import { first, readForm } from '../form.js';
import type { MessageKey } from '../i18n.js';
import * as ui from '../ui.js';
import { PlaybookTabs } from './playbook.js';
import type { AssetDto, GroupDto, Paged, PolicyDto, TaskDto, VulnerabilityDto } from './types.js';

interface ChannelDto {
  id: string;
  name: string;
  type: string;
}

/** An asset picked in the wizard travels in the form as `id:name` (a UUID has no colon). */
interface Picked {
  id: string;
  name: string;
}

const TABS: { type: string; key: MessageKey }[] = [
  { type: 'linux', key: 'linuxSoftware' },
  { type: 'windows', key: 'windows' },
  { type: 'webcms', key: 'webCms' },
];

/** How many picked assets the wizard reads vulnerabilities of (one API page each). */
const VULN_LIST_ASSETS = 100;

interface WizardValues {
  name: string;
  picked: Picked[];
  vulnerabilityIds: string[];
  channelIds: string[];
  mode: 'now' | 'window';
  start: string;
  end: string;
  timeZone: string;
}

function parsePicked(values: string[]): Picked[] {
  const seen = new Set<string>();
  const out: Picked[] = [];
  for (const v of values) {
    const i = v.indexOf(':');
    const id = i < 0 ? v : v.slice(0, i);
    if (!id || seen.has(id)) continue;
    seen.add(id);
    out.push({ id, name: i < 0 ? id : v.slice(i + 1) });
  }
  return out;
}

async function wizardValues(c: ConsoleContext): Promise<WizardValues> {
  const form = await readForm(c);
  const one = (k: string) => first(form, k);
  const all = (k: string) => form[k] ?? [];
  return {
    name: one('name'),
    picked: parsePicked(all('picked')),
    vulnerabilityIds: all('vulnerabilityIds'),
    channelIds: all('channelIds'),
    mode: one('mode') === 'window' ? 'window' : 'now',
    start: one('start'),
    end: one('end'),
    timeZone: one('timeZone') || 'UTC',
  };
}

/** The API body the wizard's values make: exactly the picked assets, by id. */
function taskBody(v: WizardValues) {
  return {
    name: v.name,
    assets: { assetIds: v.picked.map((p) => p.id) },
    vulnerabilityIds: v.vulnerabilityIds,
    channelIds: v.channelIds,
    execution:
      v.mode === 'now'
        ? { mode: 'now' as const }
        : { mode: 'window' as const, start: v.start, end: v.end, timeZone: v.timeZone },
  };
}

function SelectedList(props: { c: ConsoleContext; picked: Picked[] }) {
  const t = props.c.get('t');
  return (
    <div id="selected">
      <p aria-live="polite">
        {t('selectedAssets')}: <strong id="selected-count">{props.picked.length}</strong>
      </p>
      {props.picked.length === 0 && <p class="muted">{t('noneSelected')}</p>}
      <ul class="plain">
        {props.picked.map((p) => (
          <li>
            <input type="hidden" name="picked" value={`${p.id}:${p.name}`} />
            {p.name}{' '}
            <button
              type="button"
              class="link"
              hx-post={`/console/playbook/wizard/selected${query({ remove: p.id })}`}
              hx-include="#selected"
              hx-target="#selected"
              hx-swap="outerHTML"
              aria-label={`${t('clearSelected')} ${p.name}`}
            >
              {t('clearSelected')}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

async function distinctVulnerabilities(c: ConsoleContext, picked: Picked[]): Promise<VulnerabilityDto[]> {
  const pages = await Promise.all(
    picked
      .slice(0, VULN_LIST_ASSETS)
      .map((p) =>
        readApi<Paged<VulnerabilityDto>>(
          c,
          `/v1/vulnerabilities${query({ assetId: p.id, status: 'open', fixable: 'true', limit: 200 })}`,
        ),
      ),
  );
  // A task names a vulnerability once (type + name) and fixes it on every chosen asset that has it.
  const byKey = new Map<string, VulnerabilityDto>();
  for (const v of pages.flatMap((p) => p.items))
    if (!byKey.has(`${v.type}:${v.name}`)) byKey.set(`${v.type}:${v.name}`, v);
  return [...byKey.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function VulnCount(props: { c: ConsoleContext; n: number }) {
  const over = props.n > MAX_TASK_VULNERABILITIES;
  return (
    <p id="vuln-count" aria-live="polite" class={over ? 'error' : undefined}>
      {props.c.get('t')('vulnLimit', { n: props.n, max: MAX_TASK_VULNERABILITIES })}
    </p>
  );
}

function VulnTabs(props: {
  c: ConsoleContext;
  vulns: VulnerabilityDto[];
  checked: string[];
  errors: FieldError[];
}) {
  const { c } = props;
  const t = c.get('t');
  const errs = props.errors.filter((e) => e.path.startsWith('vulnerabilityIds'));
  return (
    <div
      id="vulns"
      hx-post="/console/playbook/wizard/count"
      hx-trigger="change"
      hx-include="#vulns"
      hx-target="#vuln-count"
      hx-swap="outerHTML"
    >
      <VulnCount c={c} n={props.checked.length} />
      {errs.length > 0 && (
        <p class="field-error" role="alert">
          {errs.map((e) => e.message).join('; ')}
        </p>
      )}
      {TABS.map((tab) => {
        const items = props.vulns.filter((v) => v.type === tab.type);
        return (
          <fieldset>
            <legend>
              {t(tab.key)} ({items.length})
            </legend>
            {items.length === 0 && <p class="muted">{t('none')}</p>}
            {items.map((v) => (
              <label class="inline">
                <input
                  type="checkbox"
                  name="vulnerabilityIds"
                  value={v.id}
                  checked={props.checked.includes(v.id)}
                />
                {v.name} <span class="muted">({ui.word(c, v.severity)})</span>
              </label>
            ))}
          </fieldset>
        );
      })}
    </div>
  );
}

async function WizardPage(props: {
  c: ConsoleContext;
  policy: PolicyDto;
  values: WizardValues;
  errors: FieldError[];
}) {
  const { c, policy, values, errors } = props;
  const t = c.get('t');
  const [groups, channels, vulns] = await Promise.all([
    readApi<Paged<GroupDto>>(c, '/v1/asset-groups?limit=200'),
    readApi<Paged<ChannelDto>>(c, '/v1/notification-channels?limit=100'),
    values.picked.length ? distinctVulnerabilities(c, values.picked) : Promise.resolve([]),
  ]);
  const execErrors = errors.filter((e) => e.path.startsWith('execution'));
  const assetErrors = errors.filter((e) => e.path.startsWith('assets'));
  return (
    <ui.Page c={c} title={`${t('createTask')} — ${policy.name}`} nav="playbook">
      <PlaybookTabs c={c} current="policies" />
      {errors.length > 0 && (
        <p class="flash bad" role="alert">
          {t('fixErrors')}{' '}
          {errors
            .filter((e) => e.path === '')
            .map((e) => e.message)
            .join('; ')}
        </p>
      )}
      <form
        id="wizard"
        method="post"
        action={`/console/playbook/policies/${policy.id}/tasks/preview`}
        class="card"
      >
        <ui.Csrf c={c} />
        <ui.Field label={t('taskName')} name="name" value={values.name} errors={errors} required />
        <fieldset>
          <legend>{t('assetList')}</legend>
          {assetErrors.length > 0 && (
            <p class="field-error" role="alert">
              {assetErrors.map((e) => e.message).join('; ')}
            </p>
          )}
          <div class="grid">
            <div>
              <label for="f-group">{t('assetGroups')}</label>
              <div class="row">
                <select id="f-group" name="groupId">
                  {groups.items.map((g) => (
                    <option value={g.id}>{g.name}</option>
                  ))}
                </select>
                <button
                  type="button"
                  class="secondary"
                  hx-post="/console/playbook/wizard/selected?group=1"
                  hx-include="#selected, #f-group"
                  hx-target="#selected"
                  hx-swap="outerHTML"
                >
                  {t('pick')}
                </button>
              </div>
              <label for="f-asset-search">{t('search')}</label>
              <input
                id="f-asset-search"
                type="search"
                name="search"
                placeholder={t('searchAssets')}
                hx-get="/console/playbook/wizard/search"
                hx-trigger="input changed delay:300ms, search"
                hx-target="#search-results"
              />
              <div id="search-results" aria-live="polite"></div>
            </div>
            <SelectedList c={c} picked={values.picked} />
          </div>
          <p>
            <button
              type="button"
              class="secondary"
              hx-post="/console/playbook/wizard/vulns"
              hx-include="#selected, #vulns"
              hx-target="#vulns"
              hx-swap="outerHTML"
            >
              {t('vulnerabilities')} ↻
            </button>
          </p>
        </fieldset>
        <fieldset>
          <legend>{t('vulnerabilities')}</legend>
          <VulnTabs c={c} vulns={vulns} checked={values.vulnerabilityIds} errors={errors} />
        </fieldset>
        <fieldset>
          <legend>{t('notification')}</legend>
          {channels.items.length === 0 && <p class="muted">{t('noChannels')}</p>}
          {channels.items.map((ch) => (
            <label class="inline">
              <input
                type="checkbox"
                name="channelIds"
                value={ch.id}
                checked={values.channelIds.includes(ch.id)}
              />
              {ch.name} ({ch.type === 'dingtalk' ? t('dingtalkRobots') : t('email')})
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>{t('executionTime')}</legend>
          <label class="inline">
            <input type="radio" name="mode" value="now" checked={values.mode === 'now'} /> {t('execute')}
          </label>
          <label class="inline">
            <input type="radio" name="mode" value="window" checked={values.mode === 'window'} />{' '}
            {t('customTime')}
          </label>
          <div class="row">
            <ui.Field
              label={t('startTime')}
              name="start"
              type="datetime-local"
              value={values.start}
              errors={errors}
              path="execution.start"
            />
            <ui.Field
              label={t('endTime')}
              name="end"
              type="datetime-local"
              value={values.end}
              errors={errors}
              path="execution.end"
            />
            <ui.Field
              label={t('timeZone')}
              name="timeZone"
              value={values.timeZone}
              errors={errors}
              path="execution.timeZone"
            />
          </div>
          <ui.ErrorNote errors={execErrors} alert />
        </fieldset>
        <p>
          <button type="submit">{t('preview')}</button>
        </p>
      </form>
    </ui.Page>
  );
}

/** The wizard's values again as hidden fields, so that the preview page can create exactly what it shows. */
function Hidden(props: { v: WizardValues }) {
  const { v } = props;
  return (
    <>
      <input type="hidden" name="name" value={v.name} />
      {v.picked.map((p) => (
        <input type="hidden" name="picked" value={`${p.id}:${p.name}`} />
      ))}
      {v.vulnerabilityIds.map((id) => (
        <input type="hidden" name="vulnerabilityIds" value={id} />
      ))}
      {v.channelIds.map((id) => (
        <input type="hidden" name="channelIds" value={id} />
      ))}
      <input type="hidden" name="mode" value={v.mode} />
      <input type="hidden" name="start" value={v.start} />
      <input type="hidden" name="end" value={v.end} />
      <input type="hidden" name="timeZone" value={v.timeZone} />
    </>
  );
}

/** API field paths that the wizard shows at its own fields. */
function wizardErrors(fields: FieldError[], message: string): FieldError[] {
  const mapped = fields.map((f) => ({ ...f, path: f.path === 'assets.assetIds' ? 'assets' : f.path }));
  return mapped.length ? mapped : [{ path: '', message }];
}

export function registerTaskWizard(web: Hono<ConsoleEnv>): void {
  const policyOf = (c: ConsoleContext) =>
    readApi<PolicyDto>(c, `/v1/playbook/policies/${encodeURIComponent(c.req.param('id') ?? '')}`);

  web.get('/playbook/policies/:id/tasks/new', async (c) => {
    const policy = await policyOf(c);
    const values: WizardValues = {
      name: '',
      picked: [],
      vulnerabilityIds: [],
      channelIds: [],
      mode: 'now',
      start: '',
      end: '',
      timeZone: 'UTC',
    };
    return c.html(await WizardPage({ c, policy, values, errors: [] }));
  });

  // Fuzzy search: the API's own asset search (contains, then similar names), each result with a Select button.
  web.get('/playbook/wizard/search', async (c) => {
    const t = c.get('t');
    const search = (c.req.query('search') ?? '').trim();
    if (!search) return c.html(<div></div>);
    const res = await callApi<Paged<AssetDto>>(c, 'GET', `/v1/assets${query({ search, limit: 20 })}`);
    if (!res.ok) return c.html(<p class="field-error">{res.message}</p>);
    return c.html(
      <div>
        <p class="muted">
          {t('searchResults')}: {res.data.items.length}
        </p>
        <ul class="plain">
          {res.data.items.map((a) => (
            <li>
              {a.name} <span class="muted">{a.ips.join(', ')}</span>{' '}
              <button
                type="button"
                class="link"
                hx-post={`/console/playbook/wizard/selected${query({ add: `${a.id}:${a.name}` })}`}
                hx-include="#selected"
                hx-target="#selected"
                hx-swap="outerHTML"
                aria-label={`${t('pick')} ${a.name}`}
              >
                {t('pick')}
              </button>
            </li>
          ))}
        </ul>
      </div>,
    );
  });

  // The selected list after adding one asset, a whole group, or clearing one.
  web.post('/playbook/wizard/selected', async (c) => {
    const form = await readForm(c);
    let picked = parsePicked(form.picked ?? []);
    const add = c.req.query('add');
    if (add) picked = parsePicked([...picked.map((p) => `${p.id}:${p.name}`), add]);
    const groupId = first(form, 'groupId');
    if (groupId && c.req.query('group') === '1') {
      const members = await readApi<Paged<AssetDto>>(c, `/v1/assets${query({ groupId, limit: 1000 })}`);
      picked = parsePicked([...picked, ...members.items].map((p) => `${p.id}:${p.name}`));
    }
    const remove = c.req.query('remove');
    if (remove) picked = picked.filter((p) => p.id !== remove);
    return c.html(<SelectedList c={c} picked={picked} />);
  });

  web.post('/playbook/wizard/vulns', async (c) => {
    const form = await readForm(c);
    const picked = parsePicked(form.picked ?? []);
    const vulns = await distinctVulnerabilities(c, picked);
    return c.html(<VulnTabs c={c} vulns={vulns} checked={form.vulnerabilityIds ?? []} errors={[]} />);
  });

  web.post('/playbook/wizard/count', async (c) => {
    const form = await readForm(c);
    return c.html(<VulnCount c={c} n={(form.vulnerabilityIds ?? []).length} />);
  });

  web.post('/playbook/policies/:id/tasks/preview', async (c) => {
    const t = c.get('t');
    const policy = await policyOf(c);
    const values = await wizardValues(c);
    const body = taskBody(values);
    const preview = await callApi<Record<string, unknown>>(
      c,
      'POST',
      `/v1/playbook/policies/${policy.id}/tasks/preview`,
      body,
    );
    // The preview route may not exist yet in this build (404 "no route"): then the console shows the selection.
    const noRoute = !preview.ok && preview.status === 404 && preview.message.startsWith('no route');
    if (!preview.ok && !noRoute) {
      return c.html(
        await WizardPage({ c, policy, values, errors: wizardErrors(preview.fields, preview.message) }),
        422,
      );
    }
    return c.html(
      <ui.Page c={c} title={t('previewTitle')} nav="playbook">
        <PlaybookTabs c={c} current="policies" />
        <section class="card" aria-labelledby="h-preview">
          <h2 id="h-preview">{values.name}</h2>
          <p>
            {t('assetList')}: <strong>{values.picked.length}</strong> · {t('vulnerabilities')}:{' '}
            <strong>{values.vulnerabilityIds.length}</strong> · {t('executionTime')}:{' '}
            <strong>
              {values.mode === 'now' ? t('execute') : `${values.start} – ${values.end} ${values.timeZone}`}
            </strong>
          </p>
          <ul class="plain" id="preview-assets">
            {values.picked.map((p) => (
              <li>{p.name}</li>
            ))}
          </ul>
          {preview.ok && (
            <pre tabindex={0} id="preview-detail">
              {JSON.stringify(preview.data, null, 2)}
            </pre>
          )}
        </section>
        <form method="post" action={`/console/playbook/policies/${policy.id}/tasks`} class="row">
          <ui.Csrf c={c} />
          <Hidden v={values} />
          <button type="submit">{t('confirmCreate')}</button>
          <button
            type="submit"
            class="secondary"
            formaction={`/console/playbook/policies/${policy.id}/tasks/edit`}
          >
            {t('back')}
          </button>
        </form>
      </ui.Page>,
    );
  });

  web.post('/playbook/policies/:id/tasks/edit', async (c) => {
    const policy = await policyOf(c);
    return c.html(await WizardPage({ c, policy, values: await wizardValues(c), errors: [] }));
  });

  web.post('/playbook/policies/:id/tasks', async (c) => {
    const policy = await policyOf(c);
    const values = await wizardValues(c);
    const res = await callApi<TaskDto>(
      c,
      'POST',
      `/v1/playbook/policies/${policy.id}/tasks`,
      taskBody(values),
    );
    if (!res.ok) {
      return c.html(
        await WizardPage({ c, policy, values, errors: wizardErrors(res.fields, res.message) }),
        422,
      );
    }
    return c.redirect(
      `/console/playbook/tasks/${res.data.id}?ok=${encodeURIComponent(c.get('t')('taskCreated'))}`,
      303,
    );
  });
}
