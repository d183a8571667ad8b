import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  body,
  createTestContext,
  type ErrorEnvelope,
  type Page,
  type TestAccount,
  type TestContext,
} from '../../../test/harness.js';
import type { TClusterWithToken } from './clusters.js';
import type { TCreatePolicyBody, TPolicy, TUpdatePolicyBody } from './policies.js';
import type { TWitness } from './witnesses.js';

let ctx: TestContext;
let mine: TestAccount;
let theirs: TestAccount;
const ids = { witness: '', cosigner: '', cluster: '', theirWitness: '', theirCluster: '', theirPolicy: '' };

async function make<T>(path: string, payload: unknown, key = mine.apiKey): Promise<T> {
  const res = await ctx.request('POST', path, { key, body: payload });
  expect(res.status, path).toBe(201);
  return body<T>(res);
}
const create = (b: Partial<TCreatePolicyBody>, key = mine.apiKey) =>
  ctx.request('POST', '/v1/signature/policies', {
    key,
    body: {
      name: `p-${Math.random()}`,
      witnessId: ids.witness,
      clusterId: ids.cluster,
      namespaces: ['prod'],
      ...b,
    },
  });
const patch = (id: string, b: TUpdatePolicyBody) =>
  ctx.request('PATCH', `/v1/signature/policies/${id}`, { key: mine.apiKey, body: b });
const code = async (res: Response) => ({
  status: res.status,
  code: (await body<ErrorEnvelope>(res)).error.code,
});

beforeAll(async () => {
  ctx = await createTestContext();
  [mine, theirs] = await Promise.all([ctx.createAccount('policies'), ctx.createAccount('other')]);
  ids.witness = (await make<TWitness>('/v1/signature/witnesses', { name: 'release' })).id;
  ids.cosigner = (await make<TWitness>('/v1/signature/witnesses', { name: 'qa' })).id;
  ids.cluster = (await make<TClusterWithToken>('/v1/clusters', { name: 'prod' })).id;
  ids.theirWitness = (await make<TWitness>('/v1/signature/witnesses', { name: 'x' }, theirs.apiKey)).id;
  ids.theirCluster = (await make<TClusterWithToken>('/v1/clusters', { name: 'x' }, theirs.apiKey)).id;
  ids.theirPolicy = (
    await make<TPolicy>(
      '/v1/signature/policies',
      { name: 'theirs', witnessId: ids.theirWitness, clusterId: ids.theirCluster, namespaces: ['prod'] },
      theirs.apiKey,
    )
  ).id;
});
afterAll(() => ctx?.close());

describe('security policies contract', () => {
  it('creates a policy off by default and bumps its version on each change; names are unique (409)', async () => {
    const res = await create({ name: 'payments' });
    expect(res.status).toBe(201);
    const p = await body<TPolicy>(res);
    expect(p).toMatchObject({
      enabled: false,
      mode: 'enforce',
      version: 1,
      tagPolicy: 'resolve',
      requiredSignatures: 1,
    });
    expect(await code(await create({ name: 'payments' }))).toEqual({ status: 409, code: 'conflict' });
    await create({ name: 'orders' });
    const renamed = await patch(p.id, { name: 'orders' });
    expect(await code(renamed)).toEqual({ status: 409, code: 'conflict' });
    const changed = await body<TPolicy>(await patch(p.id, { enabled: true }));
    expect(changed).toMatchObject({ enabled: true, version: 2, name: 'payments' });
    const list = await body<Page<TPolicy>>(
      await ctx.request('GET', `/v1/signature/policies?clusterId=${ids.cluster}`, { key: mine.apiKey }),
    );
    expect(list.items.map((i) => i.name).sort()).toEqual(['orders', 'payments']);
  });

  it('refuses witnesses and clusters that are not this account’s, and N-of-M sets that do not add up (422)', async () => {
    const rules: Partial<TCreatePolicyBody>[] = [
      { witnessId: ids.theirWitness },
      { clusterId: ids.theirCluster },
      { cosignerIds: [ids.theirWitness] },
      { cosignerIds: [ids.witness] },
      { cosignerIds: [ids.cosigner], requiredSignatures: 3 },
    ];
    for (const rule of rules)
      expect(await code(await create(rule)), JSON.stringify(rule)).toEqual({
        status: 422,
        code: 'unprocessable',
      });
    const ok = await body<TPolicy>(await create({ cosignerIds: [ids.cosigner], requiredSignatures: 2 }));
    expect(await code(await patch(ok.id, { requiredSignatures: 3 }))).toEqual({
      status: 422,
      code: 'unprocessable',
    });
    expect((await patch(ok.id, {})).status).toBe(400);
  });

  it("answers 404 for another account's policy on every route and leaves it as it was", async () => {
    for (const [method, payload] of [
      ['GET', undefined],
      ['PATCH', { enabled: true }],
      ['DELETE', undefined],
    ] as const) {
      const res = await ctx.request(method, `/v1/signature/policies/${ids.theirPolicy}`, {
        key: mine.apiKey,
        body: payload,
      });
      expect(await code(res), method).toEqual({ status: 404, code: 'not_found' });
    }
    const theirs_ = await body<TPolicy>(
      await ctx.request('GET', `/v1/signature/policies/${ids.theirPolicy}`, { key: theirs.apiKey }),
    );
    expect(theirs_).toMatchObject({ enabled: false, version: 1 });
  });
});
