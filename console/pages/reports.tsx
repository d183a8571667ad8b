import type { Hono } from 'hono';
import { REPORT_MESSAGES } from '../../domain/reports/messages.js';
import { MAX_CUSTOM_REPORTS_PER_ACCOUNT } from '../../domain/reports/rules.js';
import { callApi, readApi, idParam } from '../api-call.js';
import { can, type ConsoleContext, type ConsoleEnv } from '../context.js';
import * as ui from '../ui.js';
import { reportEditor, TYPE_KEYS, type ReportDto } from './report-form.js';
import { registerRecipientPages } from './report-recipients.js';
import type { Paged } from './types.js';

interface DeliveryDto {
  id: string;
  periodKey: string;
  email: string;
  status: string;
  error: string | null;
  sentAt: string | null;
}

/** A report's items by their names in the page's language (the report catalogue's own words). */
function itemNames(c: ConsoleContext, items: string[]): string {
  const names: Record<string, string> = REPORT_MESSAGES[c.get('lang')].item;
  return items.map((i) => names[i] ?? i).join(c.get('lang') === 'zh-CN' ? '、' : ', ');
}

export function registerReportPages(web: Hono<ConsoleEnv>): void {
  web.get('/reports', async (c) => {
    const t = c.get('t');
    const reports = await readApi<{ items: ReportDto[] }>(c, '/v1/reports?limit=100');
    const max = MAX_CUSTOM_REPORTS_PER_ACCOUNT + 1;
    return c.html(
      <ui.Page c={c} title={t('reports')} nav="reports">
        <ui.Flash c={c} />
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
                {r.language === 'en' ? t('english') : t('zhCN')} ·{' '}
                <strong>{r.enabled ? t('enabled') : t('disabled')}</strong>
              </p>
              {(r.minSeverity || r.assetGroupId || r.consolidated) && (
                <p class="muted">
                  {t('scopeSummary', {
                    scope: [
                      r.consolidated && t('consolidated'),
                      r.assetGroupId && t('scopeGroup'),
                      r.minSeverity && `${t('minSeverity')} ${t(r.minSeverity)}`,
                    ]
                      .filter(Boolean)
                      .join(' · '),
                  })}
                </p>
              )}
              <p class="report-items">{itemNames(c, r.items)}</p>
              <p class="muted">
                {r.recipients.map((x) => `${x.email} (${ui.word(c, x.status)})`).join(', ') || '—'}
              </p>
              <div class="row">
                {can(c, 'operator') && (
                  <>
                    <a href={`/console/reports/${r.id}/edit`}>{t('edit')}</a>
                    <ui.ActionButton
                      c={c}
                      action={`/console/reports/${r.id}/${r.enabled ? 'disable' : 'enable'}`}
                      label={r.enabled ? t('disable') : t('enable')}
                      secondary
                    />
                    {r.type === 'custom' && (
                      <ui.ActionButton
                        c={c}
                        action={`/console/reports/${r.id}/send`}
                        label={t('sendNow')}
                        secondary
                      />
                    )}
                    <ui.ActionButton
                      c={c}
                      action={`/console/reports/${r.id}/clone`}
                      label={t('clone')}
                      secondary
                    />
                    {!r.isDefault && (
                      <ui.ActionButton
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
      </ui.Page>,
    );
  });

  web.get('/reports/new', reportEditor('new'));
  web.post('/reports/new', reportEditor('new'));

  registerRecipientPages(web);

  web.get('/reports/:id/edit', reportEditor('edit'));
  web.post('/reports/:id/edit', reportEditor('edit'));

  for (const [verb, method, path] of [
    ['enable', 'POST', 'enable'],
    ['disable', 'POST', 'disable'],
    ['send', 'POST', 'send'],
    ['clone', 'POST', 'clone'],
    ['delete', 'DELETE', ''],
  ] as const) {
    web.post(`/reports/:id/${verb}`, async (c) => {
      const id = idParam(c);
      const res = await callApi(c, method, `/v1/reports/${id}${path ? `/${path}` : ''}`);
      return ui.redirectWithFlash(c, `/console/reports`, res);
    });
  }

  web.get('/reports/:id/export', async (c) => {
    const id = idParam(c);
    const html = await readApi<string>(c, `/v1/reports/${id}/export`);
    c.header('Content-Disposition', `attachment; filename="vigil-report-${id}.html"`);
    return c.body(html, 200, { 'Content-Type': 'text/html; charset=utf-8' });
  });

  web.get('/reports/:id/deliveries', async (c) => {
    const t = c.get('t');
    const id = idParam(c);
    const [report, list] = await Promise.all([
      readApi<ReportDto>(c, `/v1/reports/${id}`),
      readApi<Paged<DeliveryDto>>(c, `/v1/reports/${id}/deliveries?limit=100`),
    ]);
    return c.html(
      <ui.Page c={c} title={`${t('deliveries')} — ${report.name}`} nav="reports">
        <ui.DataTable head={[t('period'), t('email'), t('status'), t('sentAt'), 'HTML']}>
          {list.items.map((d) => (
            <tr>
              <td>{d.periodKey}</td>
              <td>{d.email}</td>
              <td>
                <ui.Status c={c} value={d.status} /> {d.error && <span class="error">{d.error}</span>}
              </td>
              <td>{ui.time(d.sentAt)}</td>
              <td>
                <a href={`/console/reports/${id}/deliveries/${d.id}/html`}>HTML</a>
              </td>
            </tr>
          ))}
        </ui.DataTable>
      </ui.Page>,
    );
  });

  web.get('/reports/:id/deliveries/:deliveryId/html', async (c) => {
    const id = idParam(c);
    const did = encodeURIComponent(c.req.param('deliveryId'));
    const html = await readApi<string>(c, `/v1/reports/${id}/deliveries/${did}/html`);
    // The mail as it was sent, sandboxed: its own links, no script, not our origin.
    c.header('Content-Security-Policy', "sandbox; default-src data: cid:; style-src 'unsafe-inline'");
    return c.body(html, 200, { 'Content-Type': 'text/html; charset=utf-8' });
  });
}
