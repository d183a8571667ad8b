import { beforeAll, describe, expect, it } from 'vitest';
import { typedApi, type Page, type TypedApi } from '../../test/harness.js';
import { contractSuite } from '../../test/contract.js';
import type {
  TCreateEnrollmentTokenBody,
  TCreatedEnrollmentToken,
  TEnrollmentToken,
} from './agent-enrollment-tokens.js';

/** The contract of the enrollment-token routes: another account's tokens and assets do not exist. */
const s = contractSuite({ mine: 'tokens', theirs: 'other' });
let mine: TypedApi;
let theirs: TypedApi;

const TOKENS = '/v1/agent-enrollment-tokens';
const create = (b: TCreateEnrollmentTokenBody, api = mine) =>
  api.post<TCreatedEnrollmentToken, TCreateEnrollmentTokenBody>(TOKENS, b);
const list = async (api: TypedApi) => (await api.get<Page<TEnrollmentToken>>(TOKENS)).body;

async function assetOf(api: TypedApi, name: string): Promise<string> {
  const host = {
    name,
    hostname: `${name}.example`,
    ips: ['10.9.0.1'],
    osFamily: 'linux',
    osVersion: 'Debian 12',
  };
  expect((await api.post('/v1/assets', { assets: [host] })).status).toBe(200);
  const page = await api.get<Page<{ id: string; name: string }>>('/v1/assets');
  const found = page.body.items.find((a) => a.name === name);
  if (!found) throw new Error(`asset ${name} not listed`);
  return found.id;
}

beforeAll(() => {
  mine = typedApi(s.ctx, s.mine.apiKey);
  theirs = typedApi(s.ctx, s.theirs.apiKey);
});

describe('agent enrollment tokens contract', () => {
  it('creates a token shown once and lists it without the secret', async () => {
    const created = await create({ description: 'rack 4', maxUses: 3 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ description: 'rack 4', maxUses: 3, uses: 0, assetId: null });
    const page = await list(mine);
    expect(page.items.map((t) => t.id)).toContain(created.body.id);
    expect(JSON.stringify(page)).not.toContain(created.body.token);
    expect((await list(theirs)).items.map((t) => t.id)).not.toContain(created.body.id);
  });

  it("answers 404 for another account's asset and token, and changes nothing", async () => {
    const theirAsset = await assetOf(theirs, 'their-host');
    const before = (await list(mine)).items.length;
    const refused = await create({ assetId: theirAsset });
    expect(refused.status).toBe(404);
    expect(refused.error?.code).toBe('not_found');
    expect((await list(mine)).items).toHaveLength(before);

    const theirToken = (await create({ description: 'theirs' }, theirs)).body;
    const del = await mine.delete(`${TOKENS}/${theirToken.id}`);
    expect(del.status).toBe(404);
    expect(del.error?.code).toBe('not_found');
    expect((await list(theirs)).items.map((t) => t.id)).toContain(theirToken.id);

    // The owner may bind its own asset and delete its own token.
    const myAsset = await assetOf(mine, 'my-host');
    const bound = await create({ assetId: myAsset });
    expect(bound.status).toBe(201);
    expect(bound.body.assetId).toBe(myAsset);
    expect((await mine.delete(`${TOKENS}/${bound.body.id}`)).status).toBe(204);
    expect((await list(mine)).items.map((t) => t.id)).not.toContain(bound.body.id);
  });

  it('refuses out-of-range bodies with 400 and creates nothing', async () => {
    const before = (await list(mine)).items.length;
    for (const bad of [
      { expiresInHours: 0 },
      { maxUses: 0 },
      { unknown: true },
    ] as TCreateEnrollmentTokenBody[]) {
      const res = await create(bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.error?.code, JSON.stringify(bad)).toBe('bad_request');
    }
    expect((await list(mine)).items).toHaveLength(before);
  });
});
