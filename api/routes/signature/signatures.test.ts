import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  body,
  createTestContext,
  type ErrorEnvelope,
  type Page,
  type TestAccount,
  type TestContext,
} from '../../../test/harness.js';
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

let ctx: TestContext;
let mine: TestAccount;
let theirs: TestAccount;
let witness: TWitness;
let theirWitness: TWitness;

const sign = (b: TSignBody, key = mine.apiKey) =>
  ctx.request('POST', '/v1/signature/signatures', { key, body: b });
const verify = (b: TVerifyBody) => ctx.request('POST', '/v1/signature/verify', { key: mine.apiKey, body: b });
const code = async (res: Response) => ({
  status: res.status,
  code: (await body<ErrorEnvelope>(res)).error.code,
});

beforeAll(async () => {
  ctx = await createTestContext();
  [mine, theirs] = await Promise.all([ctx.createAccount('signatures'), ctx.createAccount('other')]);
  const make = async (key: string) =>
    body<TWitness>(await ctx.request('POST', '/v1/signature/witnesses', { key, body: { name: 'release' } }));
  [witness, theirWitness] = await Promise.all([make(mine.apiKey), make(theirs.apiKey)]);
});
afterAll(() => ctx?.close());

describe('signatures contract', () => {
  it('signs once (201, then 200), verifies, and refuses a tag or a disabled witness with 422', async () => {
    const first = await sign({ image: IMAGE, witnessId: witness.id, push: false });
    expect(first.status).toBe(201);
    const signed = await body<TSignResult>(first);
    expect(signed).toMatchObject({ image: IMAGE, keyVersion: 1, registry: { status: 'skipped' } });
    expect((await sign({ image: IMAGE, witnessId: witness.id, push: false })).status).toBe(200);
    const exported = await body<TImageSignature>(
      await ctx.request('GET', `/v1/signature/signatures/${signed.id}/export`, { key: mine.apiKey }),
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
      await code(
        await sign({ image: 'registry.example.com/shop/cart:v1', witnessId: witness.id, push: false }),
      ),
    ).toEqual({ status: 422, code: 'unprocessable' });
    await ctx.request('POST', `/v1/signature/witnesses/${witness.id}/disable`, { key: mine.apiKey });
    expect(
      await code(await sign({ image: IMAGE.replace('cart', 'cart2'), witnessId: witness.id, push: false })),
    ).toEqual({ status: 422, code: 'unprocessable' });
    const trusted = await body<Page<TTrustedImage>>(
      await ctx.request('GET', '/v1/signature/trusted-images?all=true', { key: mine.apiKey }),
    );
    expect(trusted.items).toEqual([]);
  });

  it("answers 404 for another account's witness or signature", async () => {
    const theirSig = await body<TSignResult>(
      await sign({ image: IMAGE, witnessId: theirWitness.id, push: false }, theirs.apiKey),
    );
    for (const path of [
      `/v1/signature/signatures/${theirSig.id}`,
      `/v1/signature/signatures/${theirSig.id}/export`,
    ])
      expect(await code(await ctx.request('GET', path, { key: mine.apiKey })), path).toEqual({
        status: 404,
        code: 'not_found',
      });
    expect(await code(await sign({ image: IMAGE, witnessId: theirWitness.id, push: false }))).toEqual({
      status: 404,
      code: 'not_found',
    });
    expect(await code(await verify({ image: IMAGE, witnessId: theirWitness.id }))).toEqual({
      status: 404,
      code: 'not_found',
    });
  });
});
