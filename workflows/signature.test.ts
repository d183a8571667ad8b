import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestAccount, type TestContext } from '../test/harness.js';
import { podReview } from '../test/admission-review.js';
import type { SignatureRevocationResult } from './signature.js';

let ctx: TestContext;
let acct: TestAccount;

async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await ctx.request(method, path, { key: acct.apiKey, body });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return (await res.json()) as T;
}

const image = (name: string, byte: string) => `registry.example.com/shop/${name}@sha256:${byte.repeat(32)}`;

beforeAll(async () => {
  ctx = await createTestContext({ workers: true });
  acct = await ctx.createAccount('revocation');
});
afterAll(async () => ctx?.close());

describe('signature revocation workflow', () => {
  it('removes Trusted Image labels that a disabled key version earned, keeps those another key still vouches for', async () => {
    const { id: witnessId } = await call<{ id: string }>('POST', '/v1/signature/witnesses', {
      name: 'release',
    });
    const cluster = await call<{ id: string; token: string }>('POST', '/v1/clusters', { name: 'prod' });
    await call('POST', '/v1/signature/policies', {
      name: 'prod images',
      witnessId,
      clusterId: cluster.id,
      namespaces: ['prod'],
      enabled: true,
    });
    const onlyV1 = image('legacy', 'a1');
    const both = image('api', 'b2');
    const onlyV2 = image('web', 'c3');
    await call('POST', '/v1/signature/signatures', { image: onlyV1, witnessId });
    await call('POST', '/v1/signature/signatures', { image: both, witnessId });
    await call('POST', `/v1/signature/witnesses/${witnessId}/rotate`);
    await call('POST', '/v1/signature/signatures', { image: both, witnessId });
    await call('POST', '/v1/signature/signatures', { image: onlyV2, witnessId });

    const review = podReview({ uid: 'rev-1', namespace: 'prod', name: 'p', images: [onlyV1, both, onlyV2] });
    const admit = async () => {
      const res = await ctx.request('POST', `/admission/v1/validate/${cluster.token}`, { body: review });
      return ((await res.json()) as { response: { allowed: boolean; status: { message: string } } }).response;
    };
    expect(await admit()).toMatchObject({ allowed: true });
    const trusted = async (all = false) =>
      (
        await call<{
          items: { image: string; label: string | null; keyVersion: number; revokedReason: string | null }[];
        }>('GET', `/v1/signature/trusted-images${all ? '?all=true' : ''}`)
      ).items;
    expect((await trusted()).map((t) => t.image).sort()).toEqual([onlyV1, both, onlyV2].sort());

    const disabled = await call<{ revocationWorkflowId: string }>(
      'POST',
      `/v1/signature/witnesses/${witnessId}/versions/1/disable`,
    );
    expect(disabled.revocationWorkflowId).toBe(`signature-revocation:${witnessId}:1`);
    const handle = ctx.services.temporal.workflow.getHandle(disabled.revocationWorkflowId);
    const result = (await handle.result()) as SignatureRevocationResult;
    expect(result).toMatchObject({ revoked: 1, revokedImages: [onlyV1], notified: true });
    expect(result.checked).toBeGreaterThanOrEqual(1);

    const after = await trusted();
    expect(after.map((t) => t.image).sort()).toEqual([both, onlyV2].sort());
    expect(after.every((t) => t.label === 'Trusted Image' && t.keyVersion === 2)).toBe(true);
    const revoked = (await trusted(true)).find((t) => t.image === onlyV1);
    expect(revoked).toMatchObject({
      label: null,
      revokedReason: expect.stringMatching(/key version 1 .* disabled/),
    });

    const desc = await handle.describe();
    expect(await desc.staticSummary()).toMatch(/key version 1 of witness "release"/);
    // The cache emptied with the key change: the image trusted only through version 1 is now denied.
    const denied = await admit();
    expect(denied.allowed).toBe(false);
    expect(denied.status.message).toContain(onlyV1);

    // Repeating the disable call repairs a lost start and starts nothing twice.
    await call('POST', `/v1/signature/witnesses/${witnessId}/versions/1/disable`);
    const w = await call<{ revocationWorkflowId: string }>(
      'POST',
      `/v1/signature/witnesses/${witnessId}/disable`,
    );
    const all = (await ctx.services.temporal.workflow
      .getHandle(w.revocationWorkflowId)
      .result()) as SignatureRevocationResult;
    expect(all.revoked).toBe(2);
    expect(await trusted()).toEqual([]);
  });
});
