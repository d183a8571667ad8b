import type { Hono } from 'hono';
import { callApi, readApi, type FieldError, idParam } from '../api-call.js';
import { can, type ConsoleContext, type ConsoleEnv } from '../context.js';
import { first, readForm } from '../form.js';
import * as ui from '../ui.js';
import type { Paged } from './types.js';

interface RecipientDto {
  id: string;
  email: string;
  status: 'pending' | 'verified' | 'unsubscribed';
  verificationSentAt: string | null;
}

/** Report recipients with their verification status; a pending one can be sent its verification mail again. */
export function registerRecipientPages(web: Hono<ConsoleEnv>): void {
  const back = '/console/reports/recipients';
  /** The page; after a refused add, with the API's error at the e-mail field and the address kept. */
  const render = async (c: ConsoleContext, errors: FieldError[] = [], email = '') => {
    const t = c.get('t');
    const list = await readApi<Paged<RecipientDto>>(c, '/v1/email-recipients?limit=200');
    const operator = can(c, 'operator');
    return c.html(
      <ui.Page c={c} title={t('emailRecipients')} nav="reports">
        <ui.Flash c={c} />
        {operator && (
          <ui.PostForm c={c} action={back} row>
            <ui.Field label={t('email')} name="email" type="email" value={email} errors={errors} required />
            <button type="submit">{t('addRecipient')}</button>
          </ui.PostForm>
        )}
        <ui.DataTable head={[t('email'), t('status'), operator && t('actions')]}>
          {list.items.map((r) => (
            <tr id={`recipient-${r.id}`}>
              <td class="break">{r.email}</td>
              <td>
                <ui.Status c={c} value={r.status} />
                {r.status === 'pending' && r.verificationSentAt && (
                  <span class="muted"> {t('verificationSent', { at: ui.time(r.verificationSentAt) })}</span>
                )}
              </td>
              {operator && (
                <td class="row">
                  {r.status === 'pending' && (
                    <ui.ActionButton
                      c={c}
                      action={`${back}/${r.id}/resend`}
                      label={t('resendVerification')}
                      secondary
                    />
                  )}
                  <ui.ActionButton c={c} action={`${back}/${r.id}/delete`} label={t('delete')} danger />
                </td>
              )}
            </tr>
          ))}
        </ui.DataTable>
      </ui.Page>,
      errors.length ? 422 : 200,
    );
  };
  web.get('/reports/recipients', (c) => render(c));
  web.post('/reports/recipients', async (c) => {
    const email = first(await readForm(c), 'email');
    const res = await callApi(c, 'POST', '/v1/email-recipients', { email });
    if (res.ok) return ui.redirectWithFlash(c, back, res);
    return render(c, ui.errorsAt(res.fields, res.message, 'email'), email);
  });
  web.post('/reports/recipients/:id/resend', async (c) => {
    const id = idParam(c);
    const res = await callApi(c, 'POST', `/v1/email-recipients/${id}/resend-verification`);
    return ui.redirectWithFlash(c, back, res);
  });
  web.post('/reports/recipients/:id/delete', async (c) => {
    const res = await callApi(c, 'DELETE', `/v1/email-recipients/${idParam(c)}`);
    return ui.redirectWithFlash(c, back, res);
  });
}
