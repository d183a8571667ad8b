import { beforeAll, describe, expect, it } from 'vitest';
import { contractSuite, errorOf } from '../../../test/contract.js';
import { body, type Page } from '../../../test/harness.js';
import type {
  TImageSignature,
  TSignBody,
  TSignResult,
  TTrustedImage,
  TVerifyBody,
  TVerifyResult,
} from './signatures.js';
import type { TWitness } from './witnesses.js';

const IMAGE = `registry.example.com/shop/cart@sha256:${'c'.repeat(64)}`;

const s = contractSuite({ mine: 'signatures', theirs: 'other' });
let witness: TWitness;
let theirWitness: TWitness;

const sign = (b: TSignBody, key = s.mine.apiKey) =>
  s.ctx.request('POST', '/v1/signature/signatures', { key, body: b });
const verify = (b: TVerifyBody) =>
  s.ctx.request('POST', '/v1/signature/verify', { key: s.mine.apiKey, body: b });

beforeAll(async () => {
  const make = async (key: string) =>
    body<TWitness>(
      await s.ctx.request('POST', '/v1/signature/witnesses', { key, body: { name: 'release' } }),
    );
  [witness, theirWitness] = await Promise.all([make(s.mine.apiKey), make(s.theirs.apiKey)]);
});

describe('signatures contract', () => {
  it('signs once (201, then 200), verifies, and refuses a tag or a disabled witness with 422', async () => {
    const first = await sign({ image: IMAGE, witnessId: witness.id, push: false });
    expect(first.status).toBe(201);
    const signed = await body<TSignResult>(first);
    expect(signed).toMatchObject({ image: IMAGE, keyVersion: 1, registry: { status: 'skipped' } });
    expect((await sign({ image: IMAGE, witnessId: witness.id, push: false })).status).toBe(200);
    const exported = await body<TImageSignature>(
      await s.ctx.request('GET', `/v1/signature/signatures/${signed.id}/export`, { key: s.mine.apiKey }),
    );
    const verdict = await body<TVerifyResult>(
      await verify({
        image: IMAGE,
        witnessId: witness.id,
        payload: exported.payloadBase64,
        signature: exported.signature,
      }),
    );
    expect(verdict).toMatchObject({ valid: true, keyVersion: 1, indexDigest: null });
    expect(
      (await verify({ image: IMAGE, witnessId: witness.id, payload: exported.payloadBase64 })).status,
    ).toBe(400);
    expect(
      await errorOf(
        await sign({ image: 'registry.example.com/shop/cart:v1', witnessId: witness.id, push: false }),
      ),
    ).toEqual({ status: 422, code: 'unprocessable' });
    await s.ctx.request('POST', `/v1/signature/witnesses/${witness.id}/disable`, { key: s.mine.apiKey });
    expect(
      await errorOf(
        await sign({ image: IMAGE.replace('cart', 'cart2'), witnessId: witness.id, push: false }),
      ),
    ).toEqual({ status: 422, code: 'unprocessable' });
    const trusted = await body<Page<TTrustedImage>>(
      await s.ctx.request('GET', '/v1/signature/trusted-images?all=true', { key: s.mine.apiKey }),
    );
    expect(trusted.items).toEqual([]);
  });

  it("answers 404 for another account's witness or signature", async () => {
    const theirSig = await body<TSignResult>(
      await sign({ image: IMAGE, witnessId: theirWitness.id, push: false }, s.theirs.apiKey),
    );
    for (const path of [
      `/v1/signature/signatures/${theirSig.id}`,
      `/v1/signature/signatures/${theirSig.id}/export`,
    ])
      expect(await errorOf(await s.ctx.request('GET', path, { key: s.mine.apiKey })), path).toEqual({
        status: 404,
        code: 'not_found',
      });
    expect(await errorOf(await sign({ image: IMAGE, witnessId: theirWitness.id, push: false }))).toEqual({
      status: 404,
      code: 'not_found',
    });
    expect(await errorOf(await verify({ image: IMAGE, witnessId: theirWitness.id }))).toEqual({
      status: 404,
      code: 'not_found',
    });
  });
});
