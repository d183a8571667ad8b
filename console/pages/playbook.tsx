import type { Hono } from 'hono';
import { REBOOT_OPTIONS, WINDOW_END_BEHAVIOURS } from '../../domain/playbook/policy.js';
import { callApi, readApi, type FieldError, idParam } from '../api-call.js';
import { can, type ConsoleContext, type ConsoleEnv } from '../context.js';
import { first, readForm, type FormBody } from '../form.js';
import * as ui from '../ui.js';
import type { Paged, PolicyDto } from './types.js';

interface TemplateDto {
  id: string;
  name: string;
  type: string;
  description: string;
}

/** The three tabs of the manual's Playbook page. */
export const PlaybookTabs = ({
  c,
  current,
}: {
  c: ConsoleContext;
  current: 'center' | 'policies' | 'tasks';
}) => {
  const t = c.get('t');
  return (
    <ui.Tabs
      label={t('playbook')}
      current={current}
      tabs={[
        ['center', '/console/playbook/templates', t('policyCenter')],
        ['policies', '/console/playbook/policies', t('myPolicy')],
        ['tasks', '/console/playbook/tasks', t('taskManagement')],
      ]}
    />
  );
};

/** A form value as the API expects it: whole numbers as numbers, anything else as typed (the API judges it). */
function numberOrText(v: string): number | string {
  const s = v.trim();
  return /^-?\d+$/.test(s) ? Number(s) : s;
}

function paramsFromForm(form: FormBody): Record<string, unknown> {
  const f = (k: string) => first(form, k);
  const stages = f('stages')
    .split(',')
    .map((s) => s.trim());
  return {
    maxConcurrency: numberOrText(f('maxConcurrency')),
    maxErrors: numberOrText(f('maxErrors')),
    stages: stages.filter((s) => s !== '').map(numberOrText),
    snapshot: {
      enabled: f('snapshot.enabled') === 'on',
      retentionDays: numberOrText(f('snapshot.retentionDays')),
    },
    reboot: f('reboot'),
    retriesPerFix: numberOrText(f('retriesPerFix')),
    windowEnd: f('windowEnd'),
    cutoffMinutes: numberOrText(f('cutoffMinutes')),
    verifyAfterFix: f('verifyAfterFix') === 'on',
    heartbeatTimeoutSeconds: numberOrText(f('heartbeatTimeoutSeconds')),
  };
}

const str = (v: unknown) =>
  v === undefined || v === null ? '' : Array.isArray(v) ? v.join(', ') : String(v);

function PolicyForm(props: {
  c: ConsoleContext;
  policy: PolicyDto;
  values: Record<string, unknown>;
  name: string;
  errors: FieldError[];
}) {
  const { c, values, errors } = props;
  const t = c.get('t');
  const snapshot = (values.snapshot ?? {}) as { enabled?: boolean; retentionDays?: unknown };
  const select = (name: string, options: readonly string[]) => (
    <ui.Field label={name} name={name} errors={errors}>
      <select id={`f-${name}`} name={name}>
        {options.map((o) => (
          <option value={o} selected={values[name] === o}>
            {o}
          </option>
        ))}
      </select>
    </ui.Field>
  );
  /** A text field of one policy parameter, labelled with the parameter's own name. */
  const param = (name: string, value: unknown, help?: string) => (
    <ui.Field label={name} name={name} value={str(value)} errors={errors} help={help} />
  );
  return (
    <form method="post" action={`/console/playbook/policies/${props.policy.id}`} class="card" novalidate>
      <ui.Csrf c={c} />
      {errors.length > 0 && (
        <p class="flash bad" role="alert">
          {t('fixErrors')}
        </p>
      )}
      <ui.Field label={t('name')} name="name" value={props.name} errors={errors} />
      <div class="grid">
        {param('maxConcurrency', values.maxConcurrency, '10 / 20%')}
        {param('maxErrors', values.maxErrors, '0 / 5%')}
        {param('stages', values.stages, '1, 5, 20%')}
        {param('retriesPerFix', values.retriesPerFix)}
        {select('reboot', REBOOT_OPTIONS)}
        {select('windowEnd', WINDOW_END_BEHAVIOURS)}
        {param('cutoffMinutes', values.cutoffMinutes)}
        {param('heartbeatTimeoutSeconds', values.heartbeatTimeoutSeconds)}
        {param('snapshot.retentionDays', snapshot.retentionDays)}
        <div>
          <label class="inline">
            <input type="checkbox" name="snapshot.enabled" checked={snapshot.enabled === true} />{' '}
            snapshot.enabled
          </label>
          <label class="inline">
            <input type="checkbox" name="verifyAfterFix" checked={values.verifyAfterFix === true} />{' '}
            verifyAfterFix
          </label>
        </div>
      </div>
      <p>
        <button type="submit">{t('save')}</button>
      </p>
    </form>
  );
}

export function registerPlaybookPages(web: Hono<ConsoleEnv>): void {
  web.get('/playbook', (c) => c.redirect('/console/playbook/policies', 302));

  web.get('/playbook/templates', async (c) => {
    const t = c.get('t');
    const templates = await readApi<{ items: TemplateDto[] }>(c, '/v1/playbook/templates');
    return c.html(
      <ui.Page c={c} title={t('playbook')} nav="playbook">
        <PlaybookTabs c={c} current="center" />
        <ui.DataTable head={[t('name'), t('type'), can(c, 'operator') && t('actions')]}>
          {templates.items.map((tpl) => (
            <tr>
              <td>
                {tpl.name}
                <br />
                <span class="muted">{tpl.description}</span>
              </td>
              <td>{tpl.type}</td>
              {can(c, 'operator') && (
                <td>
                  <ui.ActionButton
                    c={c}
                    action={`/console/playbook/templates/${tpl.id}/clone`}
                    label={t('clone')}
                  />
                </td>
              )}
            </tr>
          ))}
        </ui.DataTable>
      </ui.Page>,
    );
  });

  web.post('/playbook/templates/:id/clone', async (c) => {
    const res = await callApi<PolicyDto>(c, 'POST', `/v1/playbook/templates/${idParam(c)}/clone`, {});
    return ui.redirectWithFlash(
      c,
      res.ok ? '/console/playbook/policies' : '/console/playbook/templates',
      res,
    );
  });

  web.get('/playbook/policies', async (c) => {
    const t = c.get('t');
    const policies = await readApi<Paged<PolicyDto>>(c, '/v1/playbook/policies?limit=100');
    return c.html(
      <ui.Page c={c} title={t('playbook')} nav="playbook">
        <PlaybookTabs c={c} current="policies" />
        <ui.Flash c={c} />
        <ui.DataTable head={[t('name'), t('type'), t('mode'), t('created'), t('updated'), t('actions')]}>
          {policies.items.map((p) => (
            <tr>
              <td>{p.name}</td>
              <td>{p.type}</td>
              <td>{String(p.params.reboot ?? '')}</td>
              <td>{ui.time(p.createdAt)}</td>
              <td>{ui.time(p.updatedAt)}</td>
              <td>
                <a href={`/console/playbook/policies/${p.id}`}>
                  {can(c, 'operator') ? t('edit') : t('details')}
                </a>
                {can(c, 'operator') && (
                  <>
                    {' · '}
                    <a href={`/console/playbook/policies/${p.id}/tasks/new`}>{t('createTask')}</a>
                  </>
                )}
              </td>
            </tr>
          ))}
        </ui.DataTable>
      </ui.Page>,
    );
  });

  web.get('/playbook/policies/:id', async (c) => {
    const policy = await readApi<PolicyDto>(c, `/v1/playbook/policies/${idParam(c)}`);
    return c.html(
      <ui.Page c={c} title={policy.name} nav="playbook">
        <PlaybookTabs c={c} current="policies" />
        <ui.Flash c={c} />
        {can(c, 'operator') ? (
          <PolicyForm c={c} policy={policy} values={policy.params} name={policy.name} errors={[]} />
        ) : (
          <pre tabindex={0}>{JSON.stringify(policy.params, null, 2)}</pre>
        )}
      </ui.Page>,
    );
  });

  web.post('/playbook/policies/:id', async (c) => {
    const t = c.get('t');
    const id = idParam(c);
    const form = await readForm(c);
    const params = paramsFromForm(form);
    const name = first(form, 'name');
    const res = await callApi<PolicyDto>(c, 'PATCH', `/v1/playbook/policies/${id}`, { name, params });
    if (res.ok)
      return c.redirect(`/console/playbook/policies/${id}?ok=${encodeURIComponent(t('saved'))}`, 303);
    const policy = await readApi<PolicyDto>(c, `/v1/playbook/policies/${id}`);
    // The schema hook names `params.x`, the merged-parameter rule names `x`: both land at field x.
    const errors = res.fields.map((f) => ({ ...f, path: f.path.replace(/^params\./, '') }));
    if (errors.length === 0) errors.push({ path: 'name', message: res.message });
    return c.html(
      <ui.Page c={c} title={policy.name} nav="playbook">
        <PlaybookTabs c={c} current="policies" />
        <PolicyForm c={c} policy={policy} values={params} name={name} errors={errors} />
      </ui.Page>,
      422,
    );
  });
}
