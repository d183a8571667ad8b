import { describe, expect, it } from 'vitest';
import { contractSuite, errorOf } from '../../../test/contract.js';
import { body, type Page } from '../../../test/harness.js';
import type { TCluster, TClusterWithToken, TRegisterClusterBody } from './clusters.js';

const s = contractSuite({ mine: 'clusters', theirs: 'other' });

const register = (b: TRegisterClusterBody, key = s.mine.apiKey) =>
  s.ctx.request('POST', '/v1/clusters', { key, body: b });

describe('clusters contract', () => {
  it('registers a cluster once per name (409) and pages the list', async () => {
    const res = await register({ name: 'prod-eu' });
    expect(res.status).toBe(201);
    const created = await body<TClusterWithToken>(res);
    expect(created).toMatchObject({
      name: 'prod-eu',
      failurePolicy: 'Fail',
      tokenPrefix: created.token.slice(0, 10),
    });
    const dup = await register({ name: 'prod-eu' });
    expect(await errorOf(dup)).toEqual({ status: 409, code: 'conflict' });
    // The same name in another account is another cluster.
    expect((await register({ name: 'prod-eu' }, s.theirs.apiKey)).status).toBe(201);
    const list = await body<Page<TCluster>>(
      await s.ctx.request('GET', '/v1/clusters', { key: s.mine.apiKey }),
    );
    expect(list.items.map((c) => c.name)).toEqual(['prod-eu']);
    expect(JSON.stringify(list)).not.toContain(created.token);
  });

  it("answers 404 for another account's cluster on every route, and changes nothing", async () => {
    const theirCluster = await body<TClusterWithToken>(await register({ name: 'private' }, s.theirs.apiKey));
    for (const [method, path] of [
      ['GET', `/v1/clusters/${theirCluster.id}`],
      ['GET', `/v1/clusters/${theirCluster.id}/webhook-config`],
      ['POST', `/v1/clusters/${theirCluster.id}/token`],
    ] as const) {
      const res = await s.ctx.request(method, path, { key: s.mine.apiKey });
      expect(await errorOf(res), `${method} ${path}`).toEqual({ status: 404, code: 'not_found' });
    }
    // Their token still works: the refused rotation did not replace it.
    const review = await s.ctx.request('POST', `/admission/v1/validate/${theirCluster.token}`, {
      body: {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'u-1',
          kind: { group: '', version: 'v1', kind: 'Pod' },
          namespace: 'default',
          operation: 'CREATE',
          object: { metadata: { name: 'p' }, spec: { containers: [] } },
        },
      },
    });
    expect(review.status).toBe(200);
  });

  it('refuses a bad body with 400 and an unknown failure policy', async () => {
    expect((await register({ name: '' })).status).toBe(400);
    expect(
      (
        await register({
          name: 'x',
          failurePolicy: 'Maybe' as unknown as TRegisterClusterBody['failurePolicy'],
        })
      ).status,
    ).toBe(400);
  });
});
