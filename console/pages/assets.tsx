import type { Hono } from 'hono';
import { callApi, query, queryValues, readApi, type FieldError, idParam } from '../api-call.js';
import { can, type ConsoleContext, type ConsoleEnv } from '../context.js';
import { first } from '../form.js';
import { registerShownOncePages } from '../shown-once-pages.js';
import * as ui from '../ui.js';
import { registerAssetScan, ScanSection } from './asset-scan.js';
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
  <ui.Tabs
    label={c.get('t')('assets')}
    current={current}
    tabs={[
      ['assets', '/console/assets', c.get('t')('assets')],
      ['tokens', '/console/assets/enrollment-tokens', c.get('t')('enrollmentTokens')],
    ]}
  />
);

export function registerAssetPages(web: Hono<ConsoleEnv>): void {
  web.get('/assets', async (c) => {
    const t = c.get('t');
    const q = queryValues(c, ['search', 'groupId', 'os', 'agentStatus', 'cursor']);
    const [list, groups] = await Promise.all([
      callApi<Paged<AssetDto>>(c, 'GET', `/v1/assets${query({ ...q, limit: 50 })}`),
      readApi<Paged<GroupDto>>(c, '/v1/asset-groups?limit=200'),
    ]);
    const errors: FieldError[] = list.ok ? [] : list.fields.map((f) => ({ ...f, path: f.path || 'search' }));
    return c.html(
      <ui.Page c={c} title={t('assets')} nav="assets">
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
          <ui.Field label={t('search')} name="search" type="search" value={q.search} errors={errors} />
          <ui.SelectField
            label={t('group')}
            name="groupId"
            value={q.groupId}
            options={[['', t('allGroups')], ...groups.items.map((g): [string, string] => [g.id, g.name])]}
          />
          <ui.SelectField
            label={t('os')}
            name="os"
            value={q.os}
            options={[['', t('anyOs')], 'linux', 'windows']}
          />
          <ui.SelectField
            label={t('agent')}
            name="agentStatus"
            value={q.agentStatus}
            options={[
              ['', t('anyAgent')],
              ...(['online', 'offline', 'none'] as const).map((st): [string, string] => [
                st,
                st === 'none' ? t('noAgent') : t(st),
              ]),
            ]}
          />
          <button type="submit">{t('filter')}</button>
        </form>
        <div id="asset-results">
          {list.ok ? (
            <>
              <ui.DataTable
                caption={t('assets')}
                head={[t('name'), t('hostname'), t('ips'), t('os'), t('group'), t('agent'), t('lastSeen')]}
              >
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
                      <ui.Status c={c} value={a.agentStatus} />
                    </td>
                    <td>{ui.time(a.lastSeenAt)}</td>
                  </tr>
                ))}
              </ui.DataTable>
              <ui.NextPage c={c} path="/console/assets" cursor={list.data.nextCursor} params={q} />
            </>
          ) : (
            <p class="error" role="alert">
              {list.message}
            </p>
          )}
        </div>
      </ui.Page>,
    );
  });

  registerShownOncePages<TokenDto>(web, {
    path: '/assets/enrollment-tokens',
    api: '/v1/agent-enrollment-tokens',
    body: (form) => {
      const maxUses = first(form, 'maxUses') ? Number(first(form, 'maxUses')) : undefined;
      return {
        expiresInHours: Number(first(form, 'expiresInHours') || 24),
        ...(maxUses !== undefined ? { maxUses } : {}),
      };
    },
    errorsOf: (res) => res.fields,
    render: (c, view) => <TokensPage c={c} tokens={view.items} created={view.created} errors={view.errors} />,
  });

  web.post('/assets/enrollment-tokens/:id/delete', async (c) => {
    const res = await callApi(c, 'DELETE', `/v1/agent-enrollment-tokens/${idParam(c)}`);
    return c.redirect(`/console/assets/enrollment-tokens${res.ok ? '' : query({ error: res.message })}`, 303);
  });

  registerAssetScan(web);
  web.get('/assets/:id', async (c) => {
    const t = c.get('t');
    const id = idParam(c);
    const [asset, vulns] = await Promise.all([
      readApi<AssetDto>(c, `/v1/assets/${id}`),
      readApi<Paged<VulnerabilityDto>>(c, `/v1/vulnerabilities?assetId=${id}&limit=200`),
    ]);
    const lastScan = vulns.items.reduce<string | null>(
      (m, v) => (m === null || v.latestScanAt > m ? v.latestScanAt : m),
      null,
    );
    return c.html(
      <ui.Page c={c} title={asset.name} nav="assets">
        <ui.Flash c={c} />
        <ui.Facts
          facts={[
            [t('hostname'), asset.hostname],
            [t('ips'), asset.ips.join(', ')],
            [t('os'), `${asset.osFamily} ${asset.osVersion}`],
            [
              t('agent'),
              <>
                <ui.Status c={c} value={asset.agentStatus} /> {t('lastSeen')} {ui.time(asset.lastSeenAt)}
              </>,
            ],
            [t('latestScan'), ui.time(lastScan)],
            [t('group'), asset.groups.map((g) => g.name).join(', ') || '—'],
          ]}
        />
        {await ScanSection({ c, assetId: id, hasAgent: asset.agentStatus !== 'none' })}
        <h2>{t('vulnerabilities')}</h2>
        <ui.DataTable
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
              <td>{ui.word(c, v.severity)}</td>
              <td>{v.packageName ?? '—'}</td>
              <td>{v.installedVersion ?? '—'}</td>
              <td>{v.fixedVersion ?? '—'}</td>
              <td>{ui.word(c, v.status)}</td>
              <td>{ui.time(v.latestScanAt)}</td>
            </tr>
          ))}
        </ui.DataTable>
      </ui.Page>,
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
    <ui.Page c={c} title={t('enrollmentTokens')} nav="assets">
      <AssetTabs c={c} current="tokens" />
      <ui.Flash c={c} />
      {props.created?.token && (
        <ui.ShownOnce
          c={c}
          message={t('tokenShownOnce')}
          id="install-cmd"
          text={`npm run agent -- --server ${server} --enroll ${props.created.token} --executor apt`}
        />
      )}
      {can(c, 'operator') && (
        <ui.PostForm c={c} action="/console/assets/enrollment-tokens" row>
          <ui.Field
            label={t('expiresInHours')}
            name="expiresInHours"
            type="number"
            value={24}
            min={1}
            errors={props.errors}
          />
          <ui.Field label={t('maxUses')} name="maxUses" type="number" min={1} errors={props.errors} />
          <button type="submit">{t('createToken')}</button>
        </ui.PostForm>
      )}
      <ui.DataTable
        head={[t('name'), t('expires'), t('uses'), t('lastUsed'), can(c, 'operator') && t('actions')]}
      >
        {props.tokens.map((tok) => (
          <tr>
            <td>{tok.description || tok.id.slice(0, 8)}</td>
            <td>{ui.time(tok.expiresAt)}</td>
            <td>
              {tok.uses}
              {tok.maxUses !== null ? ` / ${tok.maxUses}` : ''}
            </td>
            <td>{ui.time(tok.lastUsedAt)}</td>
            {can(c, 'operator') && (
              <td>
                <ui.ActionButton
                  c={c}
                  action={`/console/assets/enrollment-tokens/${tok.id}/delete`}
                  label={t('revoke')}
                  danger
                />
              </td>
            )}
          </tr>
        ))}
      </ui.DataTable>
    </ui.Page>
  );
}
