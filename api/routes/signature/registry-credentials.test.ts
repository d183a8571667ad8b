import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  body,
  createTestContext,
  type ErrorEnvelope,
  type Page,
  type TestAccount,
  type TestContext,
} from '../../../test/harness.js';
import type { TCreateRegistryCredentialBody, TRegistryCredential } from './registry-credentials.js';

let ctx: TestContext;
let mine: TestAccount;
let theirs: TestAccount;

const create = (b: TCreateRegistryCredentialBody, key = mine.apiKey) =>
  ctx.request('POST', '/v1/signature/registry-credentials', { key, body: b });

beforeAll(async () => {
  ctx = await createTestContext();
  [mine, theirs] = await Promise.all([ctx.createAccount('creds'), ctx.createAccount('other')]);
});
afterAll(() => ctx?.close());

describe('registry credentials contract', () => {
  it('stores one credential per registry (409), normalises docker.io, and never returns the password', async () => {
    const res = await create({ registry: 'docker.io', username: 'ci', password: 'hunter2-secret' });
    expect(res.status).toBe(201);
    const created = await body<TRegistryCredential>(res);
    expect(created).toMatchObject({ registry: 'index.docker.io', username: 'ci' });
    const dup = await create({ registry: 'index.docker.io', username: 'other', password: 'x' });
    expect(dup.status).toBe(409);
    expect((await body<ErrorEnvelope>(dup)).error.code).toBe('conflict');
    const list = await ctx.request('GET', '/v1/signature/registry-credentials', { key: mine.apiKey });
    const text = await list.text();
    expect(text).not.toContain('hunter2-secret');
    expect((JSON.parse(text) as Page<TRegistryCredential>).items).toHaveLength(1);
    expect((await create({ registry: 'not a host', username: 'u', password: 'p' })).status).toBe(400);
  });

  it("answers 404 for another account's credential and deletes nothing", async () => {
    const theirCred = await body<TRegistryCredential>(
      await create({ registry: 'ghcr.io', username: 'them', password: 'p' }, theirs.apiKey),
    );
    const res = await ctx.request('DELETE', `/v1/signature/registry-credentials/${theirCred.id}`, {
      key: mine.apiKey,
    });
    expect(res.status).toBe(404);
    expect((await body<ErrorEnvelope>(res)).error.code).toBe('not_found');
    const theirList = await body<Page<TRegistryCredential>>(
      await ctx.request('GET', '/v1/signature/registry-credentials', { key: theirs.apiKey }),
    );
    expect(theirList.items.map((c) => c.id)).toEqual([theirCred.id]);
    expect(
      (
        await ctx.request('DELETE', `/v1/signature/registry-credentials/${theirCred.id}`, {
          key: theirs.apiKey,
        })
      ).status,
    ).toBe(204);
  });
});
