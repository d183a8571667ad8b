import type { Hono } from 'hono';
import { callApi, query, readApi, type FieldError } from '../api-call.js';
import { can, type ConsoleContext, type ConsoleEnv } from '../context.js';
import { first, readForm } from '../form.js';
import { ActionButton, Csrf, Field, Flash, Page, Status, time, DataTable } from '../ui.js';
import type { AssetDto, GroupDto, Paged, VulnerabilityDto } from './types.js';

interface TokenDto {
  id: string;
  description: string;
  expiresAt: string;
  maxUses: number | null;
  uses: number;
  lastUsedAt: string | null;
  token?: string;
}

const AssetTabs = ({ c, current }: { c: ConsoleContext; current: 'assets' | 'tokens' }) => (
  <nav class="tabs" aria-label={c.get('t')('assets')}>
    <a href="/console/assets" aria-current={current === 'assets' ? 'page' : undefined}>
      {c.get('t')('assets')}
    </a>
    <a href="/console/assets/enrollment-tokens" aria-current={current === 'tokens' ? 'page' : undefined}>
      {c.get('t')('enrollmentTokens')}
    </a>
  </nav>
);

export function registerAssetPages(web: Hono<ConsoleEnv>): void {
  web.get('/assets', async (c) => {
    const t = c.get('t');
    const q = {
      search: c.req.query('search'),
      groupId: c.req.query('groupId'),
      os: c.req.query('os'),
      agentStatus: c.req.query('agentStatus'),
      cursor: c.req.query('cursor'),
    };
    const [list, groups] = await Promise.all([
      callApi<Paged<AssetDto>>(c, 'GET', `/v1/assets${query({ ...q, limit: 50 })}`),
      readApi<Paged<GroupDto>>(c, '/v1/asset-groups?limit=200'),
    ]);
    const errors: FieldError[] = list.ok ? [] : list.fields.map((f) => ({ ...f, path: f.path || 'search' }));
    return c.html(
      <Page c={c} title={t('assets')} nav="assets">
        <AssetTabs c={c} current="assets" />
        <form
          method="get"
          action="/console/assets"
          class="row card"
          role="search"
          hx-get="/console/assets"
          hx-target="#asset-results"
          hx-select="#asset-results"
          hx-swap="outerHTML"
          hx-push-url="true"
          hx-trigger="input changed delay:300ms from:#f-search, change, submit"
        >
          <Field label={t('search')} name="search" type="search" value={q.search} errors={errors} />
          <div>
            <label for="f-groupId">{t('group')}</label>
            <select id="f-groupId" name="groupId">
              <option value="">{t('allGroups')}</option>
              {groups.items.map((g) => (
                <option value={g.id} selected={g.id === q.groupId}>
                  {g.name}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="f-os">{t('os')}</label>
            <select id="f-os" name="os">
              <option value="">{t('anyOs')}</option>
              {['linux', 'windows'].map((o) => (
                <option value={o} selected={o === q.os}>
                  {o}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="f-agentStatus">{t('agent')}</label>
            <select id="f-agentStatus" name="agentStatus">
              <option value="">{t('anyAgent')}</option>
              {(['online', 'offline', 'none'] as const).map((s) => (
                <option value={s} selected={s === q.agentStatus}>
                  {s === 'none' ? t('noAgent') : t(s)}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">{t('filter')}</button>
        </form>
        <div id="asset-results" class="scroll">
          {list.ok ? (
            <>
              <table>
                <caption class="muted">{t('assets')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('name')}</th>
                    <th scope="col">{t('hostname')}</th>
                    <th scope="col">{t('ips')}</th>
                    <th scope="col">{t('os')}</th>
                    <th scope="col">{t('group')}</th>
                    <th scope="col">{t('agent')}</th>
                    <th scope="col">{t('lastSeen')}</th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.items.map((a) => (
                    <tr>
                      <td>
                        <a href={`/console/assets/${a.id}`}>{a.name}</a>
                      </td>
                      <td>{a.hostname}</td>
                      <td>{a.ips.join(', ')}</td>
                      <td>
                        {a.osFamily} {a.osVersion}
                      </td>
                      <td>{a.groups.map((g) => g.name).join(', ')}</td>
                      <td>
                        <Status value={a.agentStatus} />
                      </td>
                      <td>{time(a.lastSeenAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {list.data.nextCursor && (
                <p>
                  <a href={`/console/assets${query({ ...q, cursor: list.data.nextCursor })}`}>{t('next')}</a>
                </p>
              )}
            </>
          ) : (
            <p class="error" role="alert">
              {list.message}
            </p>
          )}
        </div>
      </Page>,
    );
  });

  web.get('/assets/enrollment-tokens', async (c) => {
    const tokens = await readApi<Paged<TokenDto>>(c, '/v1/agent-enrollment-tokens?limit=100');
    return c.html(<TokensPage c={c} tokens={tokens.items} />);
  });

  web.post('/assets/enrollment-tokens', async (c) => {
    const form = await readForm(c);
    const hours = Number(first(form, 'expiresInHours') || 24);
    const maxUses = first(form, 'maxUses') ? Number(first(form, 'maxUses')) : undefined;
    const res = await callApi<TokenDto>(c, 'POST', '/v1/agent-enrollment-tokens', {
      expiresInHours: hours,
      ...(maxUses !== undefined ? { maxUses } : {}),
    });
    const tokens = await readApi<Paged<TokenDto>>(c, '/v1/agent-enrollment-tokens?limit=100');
    if (!res.ok) return c.html(<TokensPage c={c} tokens={tokens.items} errors={res.fields} />, 422);
    return c.html(<TokensPage c={c} tokens={tokens.items} created={res.data} />, 201);
  });

  web.post('/assets/enrollment-tokens/:id/delete', async (c) => {
    const res = await callApi(
      c,
      'DELETE',
      `/v1/agent-enrollment-tokens/${encodeURIComponent(c.req.param('id'))}`,
    );
    return c.redirect(`/console/assets/enrollment-tokens${res.ok ? '' : query({ error: res.message })}`, 303);
  });

  web.get('/assets/:id', async (c) => {
    const t = c.get('t');
    const id = encodeURIComponent(c.req.param('id'));
    const [asset, vulns] = await Promise.all([
      readApi<AssetDto>(c, `/v1/assets/${id}`),
      readApi<Paged<VulnerabilityDto>>(c, `/v1/vulnerabilities?assetId=${id}&limit=200`),
    ]);
    const lastScan = vulns.items.reduce<string | null>(
      (m, v) => (m === null || v.latestScanAt > m ? v.latestScanAt : m),
      null,
    );
    return c.html(
      <Page c={c} title={asset.name} nav="assets">
        <section class="card grid">
          <div>
            <strong>{t('hostname')}</strong>: {asset.hostname}
          </div>
          <div>
            <strong>{t('ips')}</strong>: {asset.ips.join(', ')}
          </div>
          <div>
            <strong>{t('os')}</strong>: {asset.osFamily} {asset.osVersion}
          </div>
          <div>
            <strong>{t('agent')}</strong>: <Status value={asset.agentStatus} /> {t('lastSeen')}{' '}
            {time(asset.lastSeenAt)}
          </div>
          <div>
            <strong>{t('latestScan')}</strong>: {time(lastScan)}
          </div>
          <div>
            <strong>{t('group')}</strong>: {asset.groups.map((g) => g.name).join(', ') || '—'}
          </div>
        </section>
        <h2>{t('vulnerabilities')}</h2>
        <DataTable
          head={[
            t('name'),
            t('type'),
            t('severity'),
            t('package'),
            t('installed'),
            t('fixedIn'),
            t('status'),
            t('latestScan'),
          ]}
        >
          {vulns.items.map((v) => (
            <tr>
              <td>
                {v.name}
                <br />
                <span class="muted">{v.title}</span>
              </td>
              <td>{v.type}</td>
              <td>{v.severity}</td>
              <td>{v.packageName ?? '—'}</td>
              <td>{v.installedVersion ?? '—'}</td>
              <td>{v.fixedVersion ?? '—'}</td>
              <td>{v.status}</td>
              <td>{time(v.latestScanAt)}</td>
            </tr>
          ))}
        </DataTable>
      </Page>,
    );
  });
}

function TokensPage(props: {
  c: ConsoleContext;
  tokens: TokenDto[];
  created?: TokenDto;
  errors?: FieldError[];
}) {
  const { c } = props;
  const t = c.get('t');
  const server = c.get('services').publicUrl;
  return (
    <Page c={c} title={t('enrollmentTokens')} nav="assets">
      <AssetTabs c={c} current="tokens" />
      <Flash c={c} />
      {props.created?.token && (
        <section class="card" role="status">
          <p>{t('tokenShownOnce')}</p>
          <code class="cmd" id="install-cmd">
            {`npm run agent -- --server ${server} --enroll ${props.created.token} --executor apt`}
          </code>
          <p>
            <button type="button" class="secondary" data-copy="install-cmd">
              {t('copy')}
            </button>
          </p>
        </section>
      )}
      {can(c, 'operator') && (
        <form method="post" action="/console/assets/enrollment-tokens" class="card row">
          <Csrf c={c} />
          <Field
            label={t('expiresInHours')}
            name="expiresInHours"
            type="number"
            value={24}
            min={1}
            errors={props.errors}
          />
          <Field label={t('maxUses')} name="maxUses" type="number" min={1} errors={props.errors} />
          <button type="submit">{t('createToken')}</button>
        </form>
      )}
      <DataTable
        head={[t('created'), t('expires'), t('uses'), t('lastUsed'), can(c, 'operator') && t('actions')]}
      >
        {props.tokens.map((tok) => (
          <tr>
            <td>{tok.description || tok.id.slice(0, 8)}</td>
            <td>{time(tok.expiresAt)}</td>
            <td>
              {tok.uses}
              {tok.maxUses !== null ? ` / ${tok.maxUses}` : ''}
            </td>
            <td>{time(tok.lastUsedAt)}</td>
            {can(c, 'operator') && (
              <td>
                <ActionButton
                  c={c}
                  action={`/console/assets/enrollment-tokens/${tok.id}/delete`}
                  label={t('revoke')}
                  danger
                />
              </td>
            )}
          </tr>
        ))}
      </DataTable>
    </Page>
  );
}
