import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  body,
  createTestContext,
  type ErrorEnvelope,
  type Page,
  type TestAccount,
  type TestContext,
} from '../../test/harness.js';
import type {
  TCreateEnrollmentTokenBody,
  TCreatedEnrollmentToken,
  TEnrollmentToken,
} from './agent-enrollment-tokens.js';

/** The contract of the enrollment-token routes: another account's tokens and assets do not exist. */
let ctx: TestContext;
let mine: TestAccount;
let theirs: TestAccount;

const create = (b: TCreateEnrollmentTokenBody, key = mine.apiKey) =>
  ctx.request('POST', '/v1/agent-enrollment-tokens', { key, body: b });
const list = async (key: string) =>
  body<Page<TEnrollmentToken>>(await ctx.request('GET', '/v1/agent-enrollment-tokens', { key }));

async function assetOf(acct: TestAccount, name: string): Promise<string> {
  const host = {
    name,
    hostname: `${name}.example`,
    ips: ['10.9.0.1'],
    osFamily: 'linux',
    osVersion: 'Debian 12',
  };
  expect(
    (await ctx.request('POST', '/v1/assets', { key: acct.apiKey, body: { assets: [host] } })).status,
  ).toBe(200);
  const page = await body<Page<{ id: string; name: string }>>(
    await ctx.request('GET', '/v1/assets', { key: acct.apiKey }),
  );
  const found = page.items.find((a) => a.name === name);
  if (!found) throw new Error(`asset ${name} not listed`);
  return found.id;
}

beforeAll(async () => {
  ctx = await createTestContext();
  [mine, theirs] = await Promise.all([ctx.createAccount('tokens'), ctx.createAccount('other')]);
});
afterAll(() => ctx?.close());

describe('agent enrollment tokens contract', () => {
  it('creates a token shown once and lists it without the secret', async () => {
    const res = await create({ description: 'rack 4', maxUses: 3 });
    expect(res.status).toBe(201);
    const created = await body<TCreatedEnrollmentToken>(res);
    expect(created).toMatchObject({ description: 'rack 4', maxUses: 3, uses: 0, assetId: null });
    const page = await list(mine.apiKey);
    expect(page.items.map((t) => t.id)).toContain(created.id);
    expect(JSON.stringify(page)).not.toContain(created.token);
    expect((await list(theirs.apiKey)).items.map((t) => t.id)).not.toContain(created.id);
  });

  it("answers 404 for another account's asset and token, and changes nothing", async () => {
    const theirAsset = await assetOf(theirs, 'their-host');
    const before = (await list(mine.apiKey)).items.length;
    const refused = await create({ assetId: theirAsset });
    expect(refused.status).toBe(404);
    expect((await body<ErrorEnvelope>(refused)).error.code).toBe('not_found');
    expect((await list(mine.apiKey)).items).toHaveLength(before);

    const theirToken = await body<TCreatedEnrollmentToken>(
      await create({ description: 'theirs' }, theirs.apiKey),
    );
    const del = await ctx.request('DELETE', `/v1/agent-enrollment-tokens/${theirToken.id}`, {
      key: mine.apiKey,
    });
    expect(del.status).toBe(404);
    expect((await body<ErrorEnvelope>(del)).error.code).toBe('not_found');
    expect((await list(theirs.apiKey)).items.map((t) => t.id)).toContain(theirToken.id);

    // The owner may bind its own asset and delete its own token.
    const myAsset = await assetOf(mine, 'my-host');
    const bound = await create({ assetId: myAsset });
    expect(bound.status).toBe(201);
    const mineToken = await body<TCreatedEnrollmentToken>(bound);
    expect(mineToken.assetId).toBe(myAsset);
    expect(
      (await ctx.request('DELETE', `/v1/agent-enrollment-tokens/${mineToken.id}`, { key: mine.apiKey }))
        .status,
    ).toBe(204);
    expect((await list(mine.apiKey)).items.map((t) => t.id)).not.toContain(mineToken.id);
  });

  it('refuses out-of-range bodies with 400 and creates nothing', async () => {
    const before = (await list(mine.apiKey)).items.length;
    for (const bad of [
      { expiresInHours: 0 },
      { maxUses: 0 },
      { unknown: true },
    ] as TCreateEnrollmentTokenBody[]) {
      const res = await create(bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await list(mine.apiKey)).items).toHaveLength(before);
  });
});
