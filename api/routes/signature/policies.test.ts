import { beforeAll, describe, expect, it } from 'vitest';
import { contractSuite, errorOf } from '../../../test/contract.js';
import { body, type Page } from '../../../test/harness.js';
import type { TClusterWithToken } from './clusters.js';
import type { TCreatePolicyBody, TPolicy, TUpdatePolicyBody } from './policies.js';
import type { TWitness } from './witnesses.js';

const s = contractSuite({ mine: 'policies', theirs: 'other' });
const ids = { witness: '', cosigner: '', cluster: '', theirWitness: '', theirCluster: '', theirPolicy: '' };

async function make<T>(path: string, payload: unknown, key = s.mine.apiKey): Promise<T> {
  const res = await s.ctx.request('POST', path, { key, body: payload });
  expect(res.status, path).toBe(201);
  return body<T>(res);
}
const create = (b: Partial<TCreatePolicyBody>, key = s.mine.apiKey) =>
  s.ctx.request('POST', '/v1/signature/policies', {
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
  s.ctx.request('PATCH', `/v1/signature/policies/${id}`, { key: s.mine.apiKey, body: b });

beforeAll(async () => {
  ids.witness = (await make<TWitness>('/v1/signature/witnesses', { name: 'release' })).id;
  ids.cosigner = (await make<TWitness>('/v1/signature/witnesses', { name: 'qa' })).id;
  ids.cluster = (await make<TClusterWithToken>('/v1/clusters', { name: 'prod' })).id;
  ids.theirWitness = (await make<TWitness>('/v1/signature/witnesses', { name: 'x' }, s.theirs.apiKey)).id;
  ids.theirCluster = (await make<TClusterWithToken>('/v1/clusters', { name: 'x' }, s.theirs.apiKey)).id;
  ids.theirPolicy = (
    await make<TPolicy>(
      '/v1/signature/policies',
      { name: 'theirs', witnessId: ids.theirWitness, clusterId: ids.theirCluster, namespaces: ['prod'] },
      s.theirs.apiKey,
    )
  ).id;
});

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
    expect(await errorOf(await create({ name: 'payments' }))).toEqual({ status: 409, code: 'conflict' });
    await create({ name: 'orders' });
    const renamed = await patch(p.id, { name: 'orders' });
    expect(await errorOf(renamed)).toEqual({ status: 409, code: 'conflict' });
    const changed = await body<TPolicy>(await patch(p.id, { enabled: true }));
    expect(changed).toMatchObject({ enabled: true, version: 2, name: 'payments' });
    const list = await body<Page<TPolicy>>(
      await s.ctx.request('GET', `/v1/signature/policies?clusterId=${ids.cluster}`, { key: s.mine.apiKey }),
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
      expect(await errorOf(await create(rule)), JSON.stringify(rule)).toEqual({
        status: 422,
        code: 'unprocessable',
      });
    const ok = await body<TPolicy>(await create({ cosignerIds: [ids.cosigner], requiredSignatures: 2 }));
    expect(await errorOf(await patch(ok.id, { requiredSignatures: 3 }))).toEqual({
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
      const res = await s.ctx.request(method, `/v1/signature/policies/${ids.theirPolicy}`, {
        key: s.mine.apiKey,
        body: payload,
      });
      expect(await errorOf(res), method).toEqual({ status: 404, code: 'not_found' });
    }
    const theirs_ = await body<TPolicy>(
      await s.ctx.request('GET', `/v1/signature/policies/${ids.theirPolicy}`, { key: s.theirs.apiKey }),
    );
    expect(theirs_).toMatchObject({ enabled: false, version: 1 });
  });
});
