import type { Hono } from 'hono';
import { NOTIFICATION_CHANNEL_TYPES, NOTIFICATION_LANGUAGES } from '../../domain/notifications.js';
import { callApi, query, readApi, type FieldError, idParam } from '../api-call.js';
import { can, type ConsoleContext, type ConsoleEnv } from '../context.js';
import { first, readForm, type FormBody } from '../form.js';
import * as ui from '../ui.js';
import type { Paged } from './types.js';

interface ChannelDto {
  id: string;
  name: string;
  type: (typeof NOTIFICATION_CHANNEL_TYPES)[number];
  enabled: boolean;
  language: string;
  webhook: string | null;
  keyword: string | null;
  hasSecret: boolean;
  recipients: string[];
  updatedAt: string;
}
interface TestResultDto {
  status: string;
  detail: string;
  attempts: number;
}
interface DeliveryDto {
  id: string;
  status: string;
  title: string;
  detail: string;
  attempts: number;
  createdAt: string;
  sentAt: string | null;
}

const BASE = '/console/notifications';
const lines = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
/** A field the form left empty is not sent: the API keeps (on edit) or defaults (on create) what it is. */
const given = (form: FormBody, key: string) => first(form, key).trim() || undefined;

/** The create body of the chosen type: a DingTalk robot's webhook, secret and keyword, or an e-mail list. */
function createBody(form: FormBody) {
  const common = { name: first(form, 'name'), language: first(form, 'language') || undefined };
  return first(form, 'type') === 'email'
    ? { ...common, type: 'email', recipients: lines(first(form, 'recipients')) }
    : {
        ...common,
        type: 'dingtalk',
        webhook: first(form, 'webhook'),
        secret: given(form, 'secret'),
        keyword: given(form, 'keyword'),
      };
}

/** The fields of one channel type; on edit, the secret is never shown, only replaced. */
function ChannelFields(props: {
  c: ConsoleContext;
  type: string | null;
  channel?: ChannelDto;
  errors: FieldError[];
}) {
  const t = props.c.get('t');
  const { channel, errors } = props;
  const dingtalk = props.type !== 'email';
  const email = props.type !== 'dingtalk';
  return (
    <div class="grid">
      <ui.Field label={t('name')} name="name" value={channel?.name} errors={errors} required />
      <ui.SelectField
        label={t('language')}
        name="language"
        value={channel?.language ?? 'zh-CN'}
        errors={errors}
        options={NOTIFICATION_LANGUAGES.map((l): [string, string] => [
          l,
          l === 'en' ? t('english') : t('zhCN'),
        ])}
      />
      {dingtalk && (
        <>
          <ui.Field
            label={t('webhook')}
            name="webhook"
            type="url"
            errors={errors}
            help={channel?.webhook ? `${t('current')}: ${channel.webhook}` : t('webhookHelp')}
          />
          <ui.Field
            label={t('secret')}
            name="secret"
            type="password"
            errors={errors}
            help={channel ? (channel.hasSecret ? t('secretSet') : t('secretNone')) : undefined}
          />
          <ui.Field label={t('keyword')} name="keyword" value={channel?.keyword} errors={errors} />
        </>
      )}
      {email && (
        <ui.Field label={t('recipients')} name="recipients" errors={errors} help={t('recipientsPerLine')}>
          <textarea id="f-recipients" name="recipients" rows={3} aria-describedby="f-recipients-help">
            {channel?.recipients.join('\n') ?? ''}
          </textarea>
        </ui.Field>
      )}
    </div>
  );
}

async function ChannelsPage(props: { c: ConsoleContext; errors?: FieldError[]; type?: string }) {
  const { c } = props;
  const t = c.get('t');
  const list = await readApi<Paged<ChannelDto>>(
    c,
    `/v1/notification-channels${query({ cursor: c.req.query('cursor'), limit: 100 })}`,
  );
  return (
    <ui.Page c={c} title={t('notificationChannels')} nav="notifications">
      <ui.Flash c={c} />
      {can(c, 'operator') && (
        <ui.PostForm c={c} action={BASE}>
          <h2>{t('createChannel')}</h2>
          <ui.SelectField
            label={t('type')}
            name="type"
            value={props.type}
            options={[
              ['dingtalk', t('dingtalkRobots')],
              ['email', t('email')],
            ]}
          />
          <ChannelFields c={c} type={null} errors={props.errors ?? []} />
          <p class="muted">{t('channelTypeHelp')}</p>
          <p>
            <button type="submit">{t('create')}</button>
          </p>
        </ui.PostForm>
      )}
      <ui.DataTable
        caption={t('notificationChannels')}
        head={[
          t('name'),
          t('type'),
          t('target'),
          t('language'),
          t('status'),
          can(c, 'operator') && t('actions'),
        ]}
      >
        {list.items.map((ch) => (
          <tr>
            <td>
              <a href={`${BASE}/${ch.id}`}>{ch.name}</a>
            </td>
            <td>{ch.type === 'email' ? t('email') : t('dingtalkRobots')}</td>
            <td>{ch.type === 'email' ? ch.recipients.join(', ') : ch.webhook}</td>
            <td>{ch.language}</td>
            <td>{ch.enabled ? t('enabled') : t('disabled')}</td>
            {can(c, 'operator') && (
              <td class="row">
                <ui.ActionButton c={c} action={`${BASE}/${ch.id}/test`} label={t('sendTest')} secondary />
                <ui.ActionButton
                  c={c}
                  action={`${BASE}/${ch.id}/${ch.enabled ? 'disable' : 'enable'}`}
                  label={ch.enabled ? t('disable') : t('enable')}
                  secondary
                />
                <ui.ActionButton c={c} action={`${BASE}/${ch.id}/delete`} label={t('delete')} danger />
              </td>
            )}
          </tr>
        ))}
      </ui.DataTable>
      <ui.NextPage c={c} path={BASE} cursor={list.nextCursor} />
    </ui.Page>
  );
}

async function ChannelPage(props: {
  c: ConsoleContext;
  id: string;
  errors?: FieldError[];
  tested?: TestResultDto;
}) {
  const { c, id, tested } = props;
  const t = c.get('t');
  const [ch, deliveries] = await Promise.all([
    readApi<ChannelDto>(c, `/v1/notification-channels/${id}`),
    readApi<Paged<DeliveryDto>>(
      c,
      `/v1/notification-channels/${id}/deliveries${query({ cursor: c.req.query('cursor'), limit: 50 })}`,
    ),
  ]);
  return (
    <ui.Page c={c} title={ch.name} nav="notifications">
      <p>
        <a href={BASE}>← {t('notificationChannels')}</a>
      </p>
      <ui.Flash c={c} />
      {tested && (
        <section class="card" role="status" id="test-result">
          <h2>{t('testResult')}</h2>
          <p>
            <ui.Status c={c} value={tested.status} /> {tested.detail}
          </p>
        </section>
      )}
      <ui.Facts
        facts={[
          [t('type'), ch.type === 'email' ? t('email') : t('dingtalkRobots')],
          [t('status'), ch.enabled ? t('enabled') : t('disabled')],
          [t('updated'), ui.time(ch.updatedAt)],
        ]}
      />
      {can(c, 'operator') && (
        <>
          <ui.PostForm c={c} action={`${BASE}/${id}`}>
            <h2>{t('edit')}</h2>
            <ChannelFields c={c} type={ch.type} channel={ch} errors={props.errors ?? []} />
            <p>
              <button type="submit">{t('save')}</button>
            </p>
          </ui.PostForm>
          <div class="row">
            <ui.ActionButton c={c} action={`${BASE}/${id}/test`} label={t('sendTest')} secondary />
            <ui.ActionButton c={c} action={`${BASE}/${id}/delete`} label={t('delete')} danger />
          </div>
        </>
      )}
      <h2>{t('deliveries')}</h2>
      <ui.DataTable head={[t('at'), t('title'), t('status'), t('attempt'), t('output')]}>
        {deliveries.items.map((d) => (
          <tr>
            <td>{ui.time(d.sentAt ?? d.createdAt)}</td>
            <td>{d.title}</td>
            <td>
              <ui.Status c={c} value={d.status} />
            </td>
            <td>{d.attempts}</td>
            <td>{d.detail}</td>
          </tr>
        ))}
      </ui.DataTable>
      <ui.NextPage c={c} path={`${BASE}/${id}`} cursor={deliveries.nextCursor} />
    </ui.Page>
  );
}

export function registerNotificationPages(web: Hono<ConsoleEnv>): void {
  web.get('/notifications', async (c) => c.html(await ChannelsPage({ c })));
  web.post('/notifications', async (c) => {
    const form = await readForm(c);
    const res = await callApi(c, 'POST', '/v1/notification-channels', createBody(form));
    if (!res.ok) {
      const errors = ui.errorsAt(res.fields, res.message, 'name');
      return c.html(await ChannelsPage({ c, errors, type: first(form, 'type') }), 422);
    }
    return ui.redirectWithFlash(c, BASE, { ok: true });
  });
  web.get('/notifications/:id', async (c) => c.html(await ChannelPage({ c, id: idParam(c) })));
  web.post('/notifications/:id', async (c) => {
    const id = idParam(c);
    const form = await readForm(c);
    const current = await readApi<ChannelDto>(c, `/v1/notification-channels/${id}`);
    const patch =
      current.type === 'email'
        ? { recipients: lines(first(form, 'recipients')) }
        : {
            webhook: given(form, 'webhook'),
            secret: given(form, 'secret'),
            keyword: given(form, 'keyword') ?? null,
          };
    const res = await callApi(c, 'PATCH', `/v1/notification-channels/${id}`, {
      name: first(form, 'name'),
      language: first(form, 'language') || undefined,
      ...patch,
    });
    if (!res.ok)
      return c.html(await ChannelPage({ c, id, errors: ui.errorsAt(res.fields, res.message, 'name') }), 422);
    return ui.redirectWithFlash(c, `${BASE}/${id}`, { ok: true });
  });
  web.post('/notifications/:id/test', async (c) => {
    const id = idParam(c);
    const res = await callApi<TestResultDto>(c, 'POST', `/v1/notification-channels/${id}/test`);
    if (!res.ok) return ui.redirectWithFlash(c, `${BASE}/${id}`, res);
    return c.html(await ChannelPage({ c, id, tested: res.data }));
  });
  for (const state of ['enable', 'disable'] as const) {
    web.post(`/notifications/:id/${state}`, async (c) => {
      const id = idParam(c);
      const res = await callApi(c, 'PATCH', `/v1/notification-channels/${id}`, {
        enabled: state === 'enable',
      });
      return ui.redirectWithFlash(c, BASE, res);
    });
  }
  web.post('/notifications/:id/delete', async (c) => {
    const res = await callApi(c, 'DELETE', `/v1/notification-channels/${idParam(c)}`);
    return ui.redirectWithFlash(c, BASE, res);
  });
}
