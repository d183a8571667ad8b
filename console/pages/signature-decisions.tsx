import type { Hono } from 'hono';
import { ADMISSION_OUTCOMES } from '../../domain/signature/rules.js';
import { callApi, query, queryValues, readApi } from '../api-call.js';
import type { ConsoleContext, ConsoleEnv } from '../context.js';
import * as ui from '../ui.js';
import { pairs, SignatureTabs, type ClusterDto } from './signature.js';
import type { Paged } from './types.js';

interface DecisionDto {
  id: string;
  clusterId: string;
  namespace: string;
  kind: string;
  name: string;
  operation: string;
  mode: string | null;
  allowed: boolean;
  outcome: string;
  message: string;
  images: {
    container: string;
    image: string;
    digest?: string;
    indexDigest?: string;
    platformDigests?: string[];
  }[];
  createdAt: string;
}

/**
 * What admission verified for one image, where the reference alone does not say it: the digest a tag resolved to,
 * the signed index that covered a platform digest, the platform images of an index a tag named.
 */
function VerifiedAs(props: { c: ConsoleContext; image: DecisionDto['images'][number] }) {
  const { image: i } = props;
  const t = props.c.get('t');
  const pinned = i.digest !== undefined && i.image.endsWith(`@${i.digest}`);
  return (
    <>
      {i.digest && !pinned ? (
        <div class="muted">
          {t('verifiedAs')} <code class="break">{i.digest}</code>
        </div>
      ) : null}
      {i.indexDigest ? (
        <div class="muted">
          {t('coveredByIndex')} <code class="break">{i.indexDigest}</code>
        </div>
      ) : null}
      {i.platformDigests && i.platformDigests.length > 0 ? (
        <details>
          <summary class="muted">{t('platformCount', { n: i.platformDigests.length })}</summary>
          <ul class="plain">
            {i.platformDigests.map((d) => (
              <li>
                <code class="break">{d}</code>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </>
  );
}

/**
 * Recent admission decisions, newest first, filtered by cluster, namespace, verdict, outcome and image digest as the
 * API filters them (a digest finds a pinned image, a tag's resolved digest, a covering index or its platforms).
 */
export function registerDecisionPage(web: Hono<ConsoleEnv>): void {
  web.get('/signature/decisions', async (c) => {
    const t = c.get('t');
    const q = queryValues(c, ['clusterId', 'namespace', 'allowed', 'outcome', 'digest']);
    const [list, clusters] = await Promise.all([
      callApi<Paged<DecisionDto>>(
        c,
        'GET',
        `/v1/signature/decisions${query({ ...q, cursor: c.req.query('cursor'), limit: 50 })}`,
      ),
      readApi<Paged<ClusterDto>>(c, '/v1/clusters?limit=100'),
    ]);
    const clusterName = new Map(clusters.items.map((cl) => [cl.id, cl.name]));
    const errors = list.ok ? [] : list.fields.map((f) => ({ ...f, path: f.path || 'digest' }));
    return c.html(
      <ui.Page c={c} title={t('navSignature')} nav="signature">
        <SignatureTabs c={c} current="decisions" />
        <ui.FilterForm c={c} action="/console/signature/decisions">
          <ui.SelectField
            label={t('clusters')}
            name="clusterId"
            value={q.clusterId}
            errors={errors}
            options={[['', t('all')], ...pairs(clusters.items)]}
          />
          <ui.Field label={t('namespace')} name="namespace" value={q.namespace} errors={errors} />
          <ui.SelectField
            label={t('verdict')}
            name="allowed"
            value={q.allowed}
            errors={errors}
            options={[
              ['', t('all')],
              ['true', t('admitted')],
              ['false', t('refused')],
            ]}
          />
          <ui.SelectField
            label={t('outcome')}
            name="outcome"
            value={q.outcome}
            errors={errors}
            options={[['', t('all')], ...ui.wordOptions(c, ADMISSION_OUTCOMES)]}
          />
          <ui.Field label={t('digest')} name="digest" value={q.digest} errors={errors} />
        </ui.FilterForm>
        {list.ok ? (
          <>
            <ui.DataTable
              caption={t('admissionDecisions')}
              head={[
                t('at'),
                t('clusters'),
                t('namespace'),
                t('workload'),
                t('verdict'),
                t('reason'),
                t('images'),
              ]}
            >
              {list.data.items.map((d) => (
                <tr>
                  <td>{ui.time(d.createdAt)}</td>
                  <td>{clusterName.get(d.clusterId) ?? d.clusterId}</td>
                  <td>{d.namespace}</td>
                  <td>
                    {d.kind}/{d.name} <span class="muted">{d.operation}</span>
                  </td>
                  <td>
                    <span class={`badge s-${d.allowed ? 'Succeeded' : 'Failed'}`}>
                      {d.allowed ? t('admitted') : t('refused')}
                    </span>{' '}
                    <span class="muted">
                      {ui.word(c, d.outcome)}
                      {d.mode ? ` · ${ui.word(c, d.mode)}` : ''}
                    </span>
                  </td>
                  <td class="wide">{d.message}</td>
                  <td>
                    <details>
                      <summary>{t('imageCount', { n: d.images.length })}</summary>
                      <ul class="plain">
                        {d.images.map((i) => (
                          <li>
                            <code class="break">{i.image}</code>
                            <VerifiedAs c={c} image={i} />
                          </li>
                        ))}
                      </ul>
                    </details>
                  </td>
                </tr>
              ))}
            </ui.DataTable>
            <ui.NextPage c={c} path="/console/signature/decisions" cursor={list.data.nextCursor} params={q} />
          </>
        ) : (
          <p class="error" role="alert">
            {list.message}
          </p>
        )}
      </ui.Page>,
    );
  });
}
