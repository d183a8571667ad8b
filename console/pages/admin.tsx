import type { Hono } from 'hono';
import { ROLES } from '../../domain/roles.js';
import { callApi, query, readApi, type FieldError, idParam } from '../api-call.js';
import type { ConsoleContext, ConsoleEnv } from '../context.js';
import { first } from '../form.js';
import { registerShownOncePages } from '../shown-once-pages.js';
import * as ui from '../ui.js';
import type { AuditEntryDto, Paged } from './types.js';

interface KeyDto {
  id: string;
  name: string;
  role: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  key?: string;
}

function KeysPage(props: { c: ConsoleContext; keys: KeyDto[]; created?: KeyDto; errors?: FieldError[] }) {
  const { c } = props;
  const t = c.get('t');
  return (
    <ui.Page c={c} title={t('apiKeys')} nav="keys">
      <ui.Flash c={c} />
      {props.created?.key && (
        <ui.ShownOnce c={c} message={t('keyShownOnce')} id="new-key" text={props.created.key} />
      )}
      <ui.PostForm c={c} action="/console/api-keys" row>
        <ui.Field label={t('name')} name="name" errors={props.errors} required />
        <ui.SelectField
          label={t('role')}
          name="role"
          options={ui.wordOptions(c, ROLES)}
          errors={props.errors}
        />
        <button type="submit">{t('createKey')}</button>
      </ui.PostForm>
      <ui.DataTable head={[t('name'), t('role'), t('prefix'), t('created'), t('lastUsed'), t('actions')]}>
        {props.keys.map((k) => (
          <tr>
            <td>{k.name}</td>
            <td>{ui.word(c, k.role)}</td>
            <td>
              <code>{k.prefix}</code>
            </td>
            <td>{ui.time(k.createdAt)}</td>
            <td>{ui.time(k.lastUsedAt)}</td>
            <td>
              {k.revokedAt ? (
                ui.time(k.revokedAt)
              ) : (
                <ui.ActionButton
                  c={c}
                  action={`/console/api-keys/${k.id}/revoke`}
                  label={t('revoke')}
                  danger
                />
              )}
            </td>
          </tr>
        ))}
      </ui.DataTable>
    </ui.Page>
  );
}

export function registerAdminPages(web: Hono<ConsoleEnv>): void {
  web.get('/audit-log', async (c) => {
    const t = c.get('t');
    const action = c.req.query('action');
    const cursor = c.req.query('cursor');
    const log = await readApi<Paged<AuditEntryDto>>(
      c,
      `/v1/audit-log${query({ action, cursor, limit: 100 })}`,
    );
    return c.html(
      <ui.Page c={c} title={t('auditLog')} nav="audit">
        <ui.FilterForm c={c} action="/console/audit-log">
          <ui.Field label={t('action')} name="action" value={action} />
        </ui.FilterForm>
        <ui.DataTable head={[t('at'), t('actor'), t('action'), t('target')]}>
          {log.items.map((e) => (
            <tr>
              <td>{ui.time(e.at)}</td>
              <td>{e.actor}</td>
              <td>{e.action}</td>
              <td>
                {e.targetType} {e.targetId ?? ''}
              </td>
            </tr>
          ))}
        </ui.DataTable>
        <ui.NextPage c={c} path="/console/audit-log" cursor={log.nextCursor} params={{ action }} />
      </ui.Page>,
    );
  });

  // API keys are an admin's business (the API's routes say so; the console only hides what the role cannot use).
  registerShownOncePages<KeyDto>(web, {
    path: '/api-keys',
    api: '/v1/api-keys',
    body: (form) => ({ name: first(form, 'name'), role: first(form, 'role') }),
    errorsOf: (res) => ui.errorsAt(res.fields, res.message, 'name'),
    render: (c, view) => <KeysPage c={c} keys={view.items} created={view.created} errors={view.errors} />,
  });
  web.post('/api-keys/:id/revoke', async (c) => {
    const res = await callApi(c, 'DELETE', `/v1/api-keys/${idParam(c)}`);
    return ui.redirectWithFlash(c, `/console/api-keys`, res);
  });
}
