import type { Hono } from 'hono';
import { POLICY_MODES } from '../../domain/signature/rules.js';
import { callApi, readApi, type FieldError, idParam } from '../api-call.js';
import { can, type ConsoleContext, type ConsoleEnv } from '../context.js';
import { first, readForm } from '../form.js';
import * as ui from '../ui.js';
import type { Paged } from './types.js';

export interface WitnessDto {
  id: string;
  name: string;
  keySpec: string;
  status: string;
  currentVersion: number;
  versions: { version: number; status: string; fingerprint: string; current: boolean }[];
  createdAt: string;
}
export interface ClusterDto {
  id: string;
  name: string;
  failurePolicy: string;
  tokenPrefix: string;
  lastSeenAt: string | null;
  token?: string;
}
interface SigPolicyDto {
  id: string;
  name: string;
  witnessId: string;
  clusterId: string;
  namespaces: string[];
  enabled: boolean;
  mode: string;
  version: number;
}
interface SignatureDto {
  id: string;
  image: string;
  cosign: { attach: string; verify: string };
}
interface TrustedImageDto {
  id: string;
  image: string;
  label: string | null;
  namespace: string;
  lastVerifiedAt: string;
  revokedAt: string | null;
}

type Tab = 'witnesses' | 'signatures' | 'clusters' | 'policies' | 'trusted' | 'decisions';

/** The Container signature tabs, in the manual's order, with recent admission decisions last. */
export function SignatureTabs({ c, current }: { c: ConsoleContext; current: Tab }) {
  const t = c.get('t');
  const tabs: [Tab, string][] = [
    ['witnesses', t('witness')],
    ['signatures', t('signatures')],
    ['clusters', t('clusters')],
    ['policies', t('securityPolicies')],
    ['trusted', t('trustedImages')],
    ['decisions', t('admissionDecisions')],
  ];
  return (
    <ui.Tabs
      label={t('navSignature')}
      current={current}
      tabs={tabs.map(([id, label]) => [id, `/console/signature/${id}`, label])}
    />
  );
}

async function WitnessesPage(props: { c: ConsoleContext; errors?: FieldError[] }) {
  const { c } = props;
  const t = c.get('t');
  const list = await readApi<Paged<WitnessDto>>(c, '/v1/signature/witnesses?limit=100');
  return (
    <ui.Page c={c} title={t('navSignature')} nav="signature">
      <SignatureTabs c={c} current="witnesses" />
      <ui.Flash c={c} />
      {can(c, 'admin') && (
        <ui.PostForm c={c} action="/console/signature/witnesses" row>
          <ui.Field label={t('name')} name="name" errors={props.errors} required />
          <button type="submit">{t('createWitness')}</button>
        </ui.PostForm>
      )}
      <ui.DataTable head={[t('name'), t('status'), t('keyVersions'), can(c, 'admin') && t('actions')]}>
        {list.items.map((w) => (
          <tr>
            <td>
              {w.name} <span class="muted">{w.keySpec}</span>
            </td>
            <td>{ui.word(c, w.status)}</td>
            <td>
              <ul class="plain">
                {w.versions.map((v) => (
                  <li>
                    v{v.version} {ui.word(c, v.status)} {v.current ? '★' : ''}{' '}
                    <code class="muted">{v.fingerprint.slice(0, 16)}…</code>{' '}
                    <a href={`/console/signature/witnesses/${w.id}/public-key?version=${v.version}`}>
                      {t('publicKey')}
                    </a>
                    {can(c, 'admin') && v.status === 'enabled' && !v.current && (
                      <>
                        {' '}
                        <ui.ActionButton
                          c={c}
                          action={`/console/signature/witnesses/${w.id}/versions/${v.version}/disable`}
                          label={t('disable')}
                          secondary
                        />
                      </>
                    )}
                  </li>
                ))}
              </ul>
            </td>
            {can(c, 'admin') && (
              <td class="row">
                {w.status !== 'disabled' && (
                  <>
                    <ui.ActionButton
                      c={c}
                      action={`/console/signature/witnesses/${w.id}/rotate`}
                      label={t('rotate')}
                      secondary
                    />
                    <ui.ActionButton
                      c={c}
                      action={`/console/signature/witnesses/${w.id}/disable`}
                      label={t('disable')}
                      danger
                    />
                  </>
                )}
              </td>
            )}
          </tr>
        ))}
      </ui.DataTable>
    </ui.Page>
  );
}

async function ClustersPage(props: { c: ConsoleContext; created?: ClusterDto; errors?: FieldError[] }) {
  const { c, created } = props;
  const t = c.get('t');
  const list = await readApi<Paged<ClusterDto>>(c, '/v1/clusters?limit=100');
  const config = created ? await readApi<string>(c, `/v1/clusters/${created.id}/webhook-config`) : null;
  return (
    <ui.Page c={c} title={t('navSignature')} nav="signature">
      <SignatureTabs c={c} current="clusters" />
      <ui.Flash c={c} />
      {created && config && (
        <ui.ShownOnce c={c} message={t('clusterTokenOnce')} id="webhook-config" text={config} pre />
      )}
      {can(c, 'admin') && (
        <ui.PostForm c={c} action="/console/signature/clusters" row>
          <ui.Field label={t('name')} name="name" errors={props.errors} required />
          <ui.SelectField label={t('failurePolicy')} name="failurePolicy" options={['Fail', 'Ignore']} />
          <button type="submit">{t('createCluster')}</button>
        </ui.PostForm>
      )}
      <ui.DataTable head={[t('name'), t('failurePolicy'), t('lastSeen'), t('webhookConfig')]}>
        {list.items.map((cl) => (
          <tr>
            <td>
              {cl.name} <code class="muted">{cl.tokenPrefix}…</code>
            </td>
            <td>{cl.failurePolicy}</td>
            <td>{ui.time(cl.lastSeenAt)}</td>
            <td>
              <a href={`/console/signature/clusters/${cl.id}/webhook-config`} id={`config-${cl.id}`}>
                {t('download')} (YAML)
              </a>
            </td>
          </tr>
        ))}
      </ui.DataTable>
    </ui.Page>
  );
}

export function registerSignaturePages(web: Hono<ConsoleEnv>): void {
  web.get('/signature', (c) => c.redirect('/console/signature/witnesses', 302));
  web.get('/signature/witnesses', async (c) => c.html(await WitnessesPage({ c })));
  web.post('/signature/witnesses', async (c) => {
    const form = await readForm(c);
    const res = await callApi(c, 'POST', '/v1/signature/witnesses', { name: first(form, 'name') });
    if (!res.ok)
      return c.html(await WitnessesPage({ c, errors: ui.errorsAt(res.fields, res.message, 'name') }), 422);
    return ui.redirectWithFlash(c, `/console/signature/witnesses`, { ok: true });
  });
  web.get('/signature/witnesses/:id/public-key', async (c) => {
    const version = Number(c.req.query('version') ?? '') || undefined;
    const id = idParam(c);
    const pem = await readApi<string>(
      c,
      `/v1/signature/witnesses/${id}/public-key${version ? `?version=${version}` : ''}`,
    );
    c.header(
      'Content-Disposition',
      `attachment; filename="witness-${id}${version ? `-v${version}` : ''}.pem"`,
    );
    return c.body(pem, 200, { 'Content-Type': 'application/x-pem-file' });
  });
  for (const [path, api] of [
    ['/signature/witnesses/:id/rotate', (id: string) => `/v1/signature/witnesses/${id}/rotate`],
    ['/signature/witnesses/:id/disable', (id: string) => `/v1/signature/witnesses/${id}/disable`],
  ] as const) {
    web.post(path, async (c) => {
      const res = await callApi(c, 'POST', api(idParam(c)));
      return ui.redirectWithFlash(c, `/console/signature/witnesses`, res);
    });
  }
  web.post('/signature/witnesses/:id/versions/:version/disable', async (c) => {
    const id = idParam(c);
    const version = encodeURIComponent(c.req.param('version'));
    const res = await callApi(c, 'POST', `/v1/signature/witnesses/${id}/versions/${version}/disable`);
    return ui.redirectWithFlash(c, `/console/signature/witnesses`, res);
  });

  const signaturesPage = async (c: ConsoleContext, signed?: SignatureDto, errors?: FieldError[]) => {
    const t = c.get('t');
    const witnesses = await readApi<Paged<WitnessDto>>(c, '/v1/signature/witnesses?limit=100');
    return (
      <ui.Page c={c} title={t('navSignature')} nav="signature">
        <SignatureTabs c={c} current="signatures" />
        {signed && (
          <section class="card" role="status">
            <p>
              <strong>{signed.image}</strong>
            </p>
            <p>{t('cosignCommands')}</p>
            <code class="cmd">{signed.cosign.attach}</code>
            <code class="cmd">{signed.cosign.verify}</code>
            <p>
              <a href={`/console/signature/signatures/${signed.id}/export`}>{t('export')}</a>
            </p>
          </section>
        )}
        {can(c, 'operator') && (
          <ui.PostForm c={c} action="/console/signature/signatures">
            <ui.Field label={t('image')} name="image" errors={errors} required />
            <ui.SelectField
              label={t('witness')}
              name="witnessId"
              errors={errors}
              options={pairs(witnesses.items)}
            />
            <p>
              <button type="submit">{t('signImage')}</button>
            </p>
          </ui.PostForm>
        )}
      </ui.Page>
    );
  };
  web.get('/signature/signatures', async (c) => c.html(await signaturesPage(c)));
  web.post('/signature/signatures', async (c) => {
    const form = await readForm(c);
    const res = await callApi<SignatureDto>(c, 'POST', '/v1/signature/signatures', {
      image: first(form, 'image'),
      witnessId: first(form, 'witnessId'),
    });
    if (!res.ok)
      return c.html(await signaturesPage(c, undefined, ui.errorsAt(res.fields, res.message, 'image')), 422);
    return c.html(await signaturesPage(c, res.data), 201);
  });
  web.get('/signature/signatures/:id/export', async (c) => {
    const id = idParam(c);
    const body = await readApi<unknown>(c, `/v1/signature/signatures/${id}/export`);
    c.header('Content-Disposition', `attachment; filename="signature-${id}.json"`);
    return c.body(typeof body === 'string' ? body : JSON.stringify(body, null, 2), 200, {
      'Content-Type': 'application/json',
    });
  });

  web.get('/signature/clusters', async (c) => c.html(await ClustersPage({ c })));
  web.post('/signature/clusters', async (c) => {
    const form = await readForm(c);
    const res = await callApi<ClusterDto>(c, 'POST', '/v1/clusters', {
      name: first(form, 'name'),
      failurePolicy: first(form, 'failurePolicy') || 'Fail',
    });
    if (!res.ok)
      return c.html(await ClustersPage({ c, errors: ui.errorsAt(res.fields, res.message, 'name') }), 422);
    return c.html(await ClustersPage({ c, created: res.data }), 201);
  });
  web.get('/signature/clusters/:id/webhook-config', async (c) => {
    const id = idParam(c);
    const yaml = await readApi<string>(c, `/v1/clusters/${id}/webhook-config?format=yaml`);
    c.header('Content-Disposition', `attachment; filename="vigil-webhook-${id}.yaml"`);
    return c.body(yaml, 200, { 'Content-Type': 'application/yaml' });
  });

  const policiesPage = async (c: ConsoleContext, errors?: FieldError[]) => {
    const t = c.get('t');
    const [list, witnesses, clusters] = await Promise.all([
      readApi<Paged<SigPolicyDto>>(c, '/v1/signature/policies?limit=100'),
      readApi<Paged<WitnessDto>>(c, '/v1/signature/witnesses?limit=100'),
      readApi<Paged<ClusterDto>>(c, '/v1/clusters?limit=100'),
    ]);
    const nameOf = (items: { id: string; name: string }[], id: string) =>
      items.find((i) => i.id === id)?.name ?? id;
    return (
      <ui.Page c={c} title={t('navSignature')} nav="signature">
        <SignatureTabs c={c} current="policies" />
        <ui.Flash c={c} />
        {can(c, 'operator') && (
          <ui.PostForm c={c} action="/console/signature/policies">
            <div class="grid">
              <ui.Field label={t('name')} name="name" errors={errors} required />
              <ui.SelectField
                label={t('witness')}
                name="witnessId"
                errors={errors}
                options={pairs(witnesses.items)}
              />
              <ui.SelectField
                label={t('clusters')}
                name="clusterId"
                errors={errors}
                options={pairs(clusters.items)}
              />
              <ui.Field label={t('namespaces')} name="namespaces" errors={errors} value="default" />
              <ui.SelectField
                label={t('mode')}
                name="mode"
                errors={errors}
                options={ui.wordOptions(c, POLICY_MODES)}
              />
            </div>
            <p>
              <button type="submit">{t('createPolicy')}</button>
            </p>
          </ui.PostForm>
        )}
        <ui.DataTable
          head={[t('name'), t('witness'), t('clusters'), t('namespaces'), t('mode'), t('status')]}
        >
          {list.items.map((p) => (
            <tr>
              <td>{p.name}</td>
              <td>{nameOf(witnesses.items, p.witnessId)}</td>
              <td>{nameOf(clusters.items, p.clusterId)}</td>
              <td>{p.namespaces.join(', ')}</td>
              <td>{ui.word(c, p.mode)}</td>
              <td>
                <strong>{p.enabled ? t('enabled') : t('disabled')}</strong>{' '}
                {can(c, 'operator') && (
                  <ui.ActionButton
                    c={c}
                    action={`/console/signature/policies/${p.id}/${p.enabled ? 'disable' : 'enable'}`}
                    label={p.enabled ? t('disable') : t('enable')}
                    secondary
                  />
                )}
              </td>
            </tr>
          ))}
        </ui.DataTable>
      </ui.Page>
    );
  };
  web.get('/signature/policies', async (c) => c.html(await policiesPage(c)));
  web.post('/signature/policies', async (c) => {
    const form = await readForm(c);
    const res = await callApi(c, 'POST', '/v1/signature/policies', {
      name: first(form, 'name'),
      witnessId: first(form, 'witnessId'),
      clusterId: first(form, 'clusterId'),
      namespaces: first(form, 'namespaces')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      // Off by default (the manual): a new policy is switched on from the list once it is right.
      enabled: false,
      mode: first(form, 'mode'),
      description: '',
    });
    if (!res.ok) return c.html(await policiesPage(c, ui.errorsAt(res.fields, res.message, 'name')), 422);
    return ui.redirectWithFlash(c, `/console/signature/policies`, { ok: true });
  });
  for (const state of ['enable', 'disable'] as const) {
    web.post(`/signature/policies/:id/${state}`, async (c) => {
      const id = idParam(c);
      const res = await callApi(c, 'PATCH', `/v1/signature/policies/${id}`, { enabled: state === 'enable' });
      return ui.redirectWithFlash(c, `/console/signature/policies`, res);
    });
  }

  web.get('/signature/trusted', async (c) => {
    const t = c.get('t');
    const list = await readApi<Paged<TrustedImageDto>>(c, '/v1/signature/trusted-images?limit=100');
    return c.html(
      <ui.Page c={c} title={t('navSignature')} nav="signature">
        <SignatureTabs c={c} current="trusted" />
        <ui.DataTable head={[t('image'), t('namespaces'), t('status'), t('latestScan')]}>
          {list.items.map((i) => (
            <tr>
              <td>{i.image}</td>
              <td>{i.namespace}</td>
              <td>{i.revokedAt ? `revoked ${ui.time(i.revokedAt)}` : (i.label ?? '—')}</td>
              <td>{ui.time(i.lastVerifiedAt)}</td>
            </tr>
          ))}
        </ui.DataTable>
      </ui.Page>,
    );
  });
}

/** Objects as select options: value the id, label the name. */
export const pairs = (items: { id: string; name: string }[]) =>
  items.map((i): [string, string] => [i.id, i.name]);
