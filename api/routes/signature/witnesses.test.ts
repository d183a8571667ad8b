import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contractSuite, errorOf } from '../../../test/contract.js';
import { body } from '../../../test/harness.js';
import type { TCreateWitnessBody, TDisabledWitness, TWitness } from './witnesses.js';

const s = contractSuite({ mine: 'witnesses', theirs: 'other' });

const create = (b: TCreateWitnessBody, key = s.mine.apiKey) =>
  s.ctx.request('POST', '/v1/signature/witnesses', { key, body: b });
const post = (path: string) => s.ctx.request('POST', path, { key: s.mine.apiKey });

describe('witnesses contract', () => {
  it('names are unique per account (409); VERIFY needs a public key and an imported key cannot rotate (422)', async () => {
    expect((await create({ name: 'release' })).status).toBe(201);
    expect(await errorOf(await create({ name: 'release' }))).toEqual({ status: 409, code: 'conflict' });
    expect((await create({ name: 'release' }, s.theirs.apiKey)).status).toBe(201);
    expect(await errorOf(await create({ name: 'v', purpose: 'VERIFY' }))).toEqual({
      status: 422,
      code: 'unprocessable',
    });
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const imported = await body<TWitness>(
      await create({ name: 'ci', key: { type: 'privateKey', pem: privateKey } }),
    );
    expect(imported).toMatchObject({ keyOrigin: 'imported', currentVersion: 1 });
    expect(await errorOf(await post(`/v1/signature/witnesses/${imported.id}/rotate`))).toEqual({
      status: 422,
      code: 'unprocessable',
    });
  });

  it('a disabled witness cannot rotate (422); an unknown key version is a 404', async () => {
    const w = await body<TWitness>(await create({ name: 'short-lived' }));
    expect(await errorOf(await post(`/v1/signature/witnesses/${w.id}/versions/7/disable`))).toEqual({
      status: 404,
      code: 'not_found',
    });
    const disabled = await body<TDisabledWitness>(await post(`/v1/signature/witnesses/${w.id}/disable`));
    expect(disabled).toMatchObject({
      status: 'disabled',
      revocationWorkflowId: `signature-revocation:${w.id}:all`,
    });
    expect(await errorOf(await post(`/v1/signature/witnesses/${w.id}/rotate`))).toEqual({
      status: 422,
      code: 'unprocessable',
    });
  });

  it("answers 404 for another account's witness on every route and changes nothing", async () => {
    const w = await body<TWitness>(await create({ name: 'theirs' }, s.theirs.apiKey));
    for (const [method, path] of [
      ['GET', `/v1/signature/witnesses/${w.id}`],
      ['GET', `/v1/signature/witnesses/${w.id}/public-key`],
      ['POST', `/v1/signature/witnesses/${w.id}/rotate`],
      ['POST', `/v1/signature/witnesses/${w.id}/versions/1/disable`],
      ['POST', `/v1/signature/witnesses/${w.id}/disable`],
    ] as const) {
      const res = await s.ctx.request(method, path, { key: s.mine.apiKey });
      expect(await errorOf(res), `${method} ${path}`).toEqual({ status: 404, code: 'not_found' });
    }
    const after = await body<TWitness>(
      await s.ctx.request('GET', `/v1/signature/witnesses/${w.id}`, { key: s.theirs.apiKey }),
    );
    expect(after).toMatchObject({ status: 'active', currentVersion: 1 });
    expect(after.versions.map((v) => v.status)).toEqual(['enabled']);
  });
});
