import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  body,
  createTestContext,
  type ErrorEnvelope,
  type Page,
  type TestAccount,
  type TestContext,
} from '../../../test/harness.js';
import type { TCluster, TClusterWithToken, TRegisterClusterBody } from './clusters.js';

let ctx: TestContext;
let mine: TestAccount;
let theirs: TestAccount;

const register = (b: TRegisterClusterBody, key = mine.apiKey) =>
  ctx.request('POST', '/v1/clusters', { key, body: b });

beforeAll(async () => {
  ctx = await createTestContext();
  [mine, theirs] = await Promise.all([ctx.createAccount('clusters'), ctx.createAccount('other')]);
});
afterAll(() => ctx?.close());

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
    expect(dup.status).toBe(409);
    expect((await body<ErrorEnvelope>(dup)).error.code).toBe('conflict');
    // The same name in another account is another cluster.
    expect((await register({ name: 'prod-eu' }, theirs.apiKey)).status).toBe(201);
    const list = await body<Page<TCluster>>(await ctx.request('GET', '/v1/clusters', { key: mine.apiKey }));
    expect(list.items.map((c) => c.name)).toEqual(['prod-eu']);
    expect(JSON.stringify(list)).not.toContain(created.token);
  });

  it("answers 404 for another account's cluster on every route, and changes nothing", async () => {
    const theirCluster = await body<TClusterWithToken>(await register({ name: 'private' }, theirs.apiKey));
    for (const [method, path] of [
      ['GET', `/v1/clusters/${theirCluster.id}`],
      ['GET', `/v1/clusters/${theirCluster.id}/webhook-config`],
      ['POST', `/v1/clusters/${theirCluster.id}/token`],
    ] as const) {
      const res = await ctx.request(method, path, { key: mine.apiKey });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect((await body<ErrorEnvelope>(res)).error.code).toBe('not_found');
    }
    // Their token still works: the refused rotation did not replace it.
    const review = await ctx.request('POST', `/admission/v1/validate/${theirCluster.token}`, {
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
