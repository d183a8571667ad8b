import { describe, expect, it } from 'vitest';
import { contractSuite, errorOf } from '../../../test/contract.js';
import { body, type Page } from '../../../test/harness.js';
import type { TCreateRegistryCredentialBody, TRegistryCredential } from './registry-credentials.js';

const s = contractSuite({ mine: 'creds', theirs: 'other' });

const create = (b: TCreateRegistryCredentialBody, key = s.mine.apiKey) =>
  s.ctx.request('POST', '/v1/signature/registry-credentials', { key, body: b });

describe('registry credentials contract', () => {
  it('stores one credential per registry (409), normalises docker.io, and never returns the password', async () => {
    const res = await create({ registry: 'docker.io', username: 'ci', password: 'hunter2-secret' });
    expect(res.status).toBe(201);
    const created = await body<TRegistryCredential>(res);
    expect(created).toMatchObject({ registry: 'index.docker.io', username: 'ci' });
    const dup = await create({ registry: 'index.docker.io', username: 'other', password: 'x' });
    expect(await errorOf(dup)).toEqual({ status: 409, code: 'conflict' });
    const list = await s.ctx.request('GET', '/v1/signature/registry-credentials', { key: s.mine.apiKey });
    const text = await list.text();
    expect(text).not.toContain('hunter2-secret');
    expect((JSON.parse(text) as Page<TRegistryCredential>).items).toHaveLength(1);
    expect((await create({ registry: 'not a host', username: 'u', password: 'p' })).status).toBe(400);
  });

  it("answers 404 for another account's credential and deletes nothing", async () => {
    const theirCred = await body<TRegistryCredential>(
      await create({ registry: 'ghcr.io', username: 'them', password: 'p' }, s.theirs.apiKey),
    );
    const res = await s.ctx.request('DELETE', `/v1/signature/registry-credentials/${theirCred.id}`, {
      key: s.mine.apiKey,
    });
    expect(await errorOf(res)).toEqual({ status: 404, code: 'not_found' });
    const theirList = await body<Page<TRegistryCredential>>(
      await s.ctx.request('GET', '/v1/signature/registry-credentials', { key: s.theirs.apiKey }),
    );
    expect(theirList.items.map((c) => c.id)).toEqual([theirCred.id]);
    expect(
      (
        await s.ctx.request('DELETE', `/v1/signature/registry-credentials/${theirCred.id}`, {
          key: s.theirs.apiKey,
        })
      ).status,
    ).toBe(204);
  });
});
