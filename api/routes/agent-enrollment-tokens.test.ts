import { describe, expect, it } from 'vitest';
import { contractSuite, errorOf } from '../../test/contract.js';
import { body, reportAsset, type Page, type TestAccount } from '../../test/harness.js';
import type {
  TCreateEnrollmentTokenBody,
  TCreatedEnrollmentToken,
  TEnrollmentToken,
} from './agent-enrollment-tokens.js';

/** The contract of the enrollment-token routes: another account's tokens and assets do not exist. */
const s = contractSuite({ mine: 'tokens', theirs: 'other' });

const create = (b: TCreateEnrollmentTokenBody, key = s.mine.apiKey) =>
  s.ctx.request('POST', '/v1/agent-enrollment-tokens', { key, body: b });
const list = async (key: string) =>
  body<Page<TEnrollmentToken>>(await s.ctx.request('GET', '/v1/agent-enrollment-tokens', { key }));

const assetOf = (acct: TestAccount, name: string) => reportAsset(s.ctx, acct, name, '10.9.0.1');

describe('agent enrollment tokens contract', () => {
  it('creates a token shown once and lists it without the secret', async () => {
    const res = await create({ description: 'rack 4', maxUses: 3 });
    expect(res.status).toBe(201);
    const created = await body<TCreatedEnrollmentToken>(res);
    expect(created).toMatchObject({ description: 'rack 4', maxUses: 3, uses: 0, assetId: null });
    const page = await list(s.mine.apiKey);
    expect(page.items.map((t) => t.id)).toContain(created.id);
    expect(JSON.stringify(page)).not.toContain(created.token);
    expect((await list(s.theirs.apiKey)).items.map((t) => t.id)).not.toContain(created.id);
  });

  it("answers 404 for another account's asset and token, and changes nothing", async () => {
    const theirAsset = await assetOf(s.theirs, 'their-host');
    const before = (await list(s.mine.apiKey)).items.length;
    const refused = await create({ assetId: theirAsset });
    expect(await errorOf(refused)).toEqual({ status: 404, code: 'not_found' });
    expect((await list(s.mine.apiKey)).items).toHaveLength(before);

    const theirToken = await body<TCreatedEnrollmentToken>(
      await create({ description: 'theirs' }, s.theirs.apiKey),
    );
    const del = await s.ctx.request('DELETE', `/v1/agent-enrollment-tokens/${theirToken.id}`, {
      key: s.mine.apiKey,
    });
    expect(await errorOf(del)).toEqual({ status: 404, code: 'not_found' });
    expect((await list(s.theirs.apiKey)).items.map((t) => t.id)).toContain(theirToken.id);

    // The owner may bind its own asset and delete its own token.
    const myAsset = await assetOf(s.mine, 'my-host');
    const bound = await create({ assetId: myAsset });
    expect(bound.status).toBe(201);
    const mineToken = await body<TCreatedEnrollmentToken>(bound);
    expect(mineToken.assetId).toBe(myAsset);
    expect(
      (await s.ctx.request('DELETE', `/v1/agent-enrollment-tokens/${mineToken.id}`, { key: s.mine.apiKey }))
        .status,
    ).toBe(204);
    expect((await list(s.mine.apiKey)).items.map((t) => t.id)).not.toContain(mineToken.id);
  });

  it('refuses out-of-range bodies with 400 and creates nothing', async () => {
    const before = (await list(s.mine.apiKey)).items.length;
    for (const bad of [
      { expiresInHours: 0 },
      { maxUses: 0 },
      { unknown: true },
    ] as TCreateEnrollmentTokenBody[]) {
      const res = await create(bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await list(s.mine.apiKey)).items).toHaveLength(before);
  });
});
