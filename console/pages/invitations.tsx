import type { Hono } from 'hono';
import { callApi, query, readApi, type FieldError, idParam } from '../api-call.js';
import { can, type ConsoleContext, type ConsoleEnv } from '../context.js';
import { first, readForm } from '../form.js';
import * as ui from '../ui.js';
import { AccountTabs } from './accounts.js';
import type { Paged } from './types.js';

interface InvitationDto {
  id: string;
  directoryName: string;
  inviteeAccountId: string;
  direction: 'received' | 'sent';
  status: string;
  createdAt: string;
  respondedAt: string | null;
}

const BASE = '/console/accounts/invitations';

/**
 * Invitations of the resource directory: the management account invites an existing account by its id and may
 * cancel while pending; the invited account accepts or declines with its own key; any account may leave.
 */
async function InvitationsPage(props: { c: ConsoleContext; errors?: FieldError[] }) {
  const { c } = props;
  const t = c.get('t');
  const [directory, list] = await Promise.all([
    callApi<{ name: string; role: string }>(c, 'GET', '/v1/resource-directory'),
    readApi<Paged<InvitationDto>>(
      c,
      `/v1/resource-directory/invitations${query({ cursor: c.req.query('cursor'), limit: 100 })}`,
    ),
  ]);
  const admin = can(c, 'admin');
  const management = directory.ok && directory.data.role === 'management';
  return (
    <ui.Page c={c} title={t('navAccounts')} nav="accounts">
      <AccountTabs c={c} current="invitations" />
      <ui.Flash c={c} />
      <p id="directory-standing">
        {directory.ok ? (
          <>
            <strong>{directory.data.name}</strong> · {ui.word(c, directory.data.role)}
          </>
        ) : (
          t('notInDirectory')
        )}
      </p>
      {management && admin && (
        <ui.PostForm c={c} action={BASE} row>
          <ui.Field
            label={t('inviteAccountId')}
            name="accountId"
            errors={props.errors}
            required
            help={t('inviteHelp')}
          />
          <button type="submit">{t('invite')}</button>
        </ui.PostForm>
      )}
      <ui.DataTable
        caption={t('invitations')}
        head={[
          t('resourceDirectory'),
          t('direction'),
          t('account'),
          t('status'),
          t('created'),
          admin && t('actions'),
        ]}
      >
        {list.items.map((i) => (
          <tr>
            <td>{i.directoryName}</td>
            <td>{i.direction === 'received' ? t('received') : t('sent')}</td>
            <td>
              <code>{i.inviteeAccountId}</code>
            </td>
            <td>
              <ui.Status c={c} value={i.status} />{' '}
              {i.respondedAt && <span class="muted">{ui.time(i.respondedAt)}</span>}
            </td>
            <td>{ui.time(i.createdAt)}</td>
            {admin && (
              <td class="row">
                {i.status === 'pending' && i.direction === 'received' && (
                  <>
                    <ui.ActionButton c={c} action={`${BASE}/${i.id}/accept`} label={t('accept')} />
                    <ui.ActionButton
                      c={c}
                      action={`${BASE}/${i.id}/decline`}
                      label={t('decline')}
                      secondary
                    />
                  </>
                )}
                {i.status === 'pending' && i.direction === 'sent' && (
                  <ui.ActionButton c={c} action={`${BASE}/${i.id}/cancel`} label={t('cancel')} danger />
                )}
              </td>
            )}
          </tr>
        ))}
      </ui.DataTable>
      <ui.NextPage c={c} path={BASE} cursor={list.nextCursor} />
      {directory.ok && admin && (
        <section class="card" aria-labelledby="h-leave">
          <h2 id="h-leave">{t('leaveDirectory')}</h2>
          <p class="muted">{t('leaveHelp')}</p>
          <ui.ActionButton c={c} action="/console/accounts/leave" label={t('leaveDirectory')} danger />
        </section>
      )}
    </ui.Page>
  );
}

export function registerInvitationPages(web: Hono<ConsoleEnv>): void {
  web.get('/accounts/invitations', async (c) => c.html(await InvitationsPage({ c })));
  web.post('/accounts/invitations', async (c) => {
    const accountId = first(await readForm(c), 'accountId').trim();
    const res = await callApi(c, 'POST', '/v1/resource-directory/invitations', { accountId });
    if (!res.ok)
      return c.html(
        await InvitationsPage({ c, errors: ui.errorsAt(res.fields, res.message, 'accountId') }),
        422,
      );
    return ui.redirectWithFlash(c, BASE, { ok: true });
  });
  for (const verb of ['accept', 'decline', 'cancel'] as const) {
    web.post(`/accounts/invitations/:id/${verb}`, async (c) => {
      const id = idParam(c);
      const res = await callApi(c, 'POST', `/v1/resource-directory/invitations/${id}/${verb}`);
      return ui.redirectWithFlash(c, BASE, res);
    });
  }
  web.post('/accounts/leave', async (c) => {
    const res = await callApi(c, 'POST', '/v1/resource-directory/leave');
    return ui.redirectWithFlash(c, BASE, res);
  });
}
