import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signaturePolicies } from '../../db/schema/signature.js';
import type { TAdmissionRequest } from '../../domain/signature/admission-review.js';
import { createTestContext, type TestAccount, type TestContext } from '../../test/harness.js';
import { AdmissionEngine } from './admission.js';
import { bumpSignatureGeneration } from './state.js';

let ctx: TestContext;
let acct: TestAccount;

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await ctx.request(method, path, { key: acct.apiKey, body });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return (await res.json()) as T;
}

const request = (image: string): TAdmissionRequest => ({
  uid: 'r',
  kind: { group: '', version: 'v1', kind: 'Pod' },
  namespace: 'prod',
  operation: 'CREATE',
  object: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image }] } },
});

beforeAll(async () => {
  ctx = await createTestContext();
  acct = await ctx.createAccount('replicas');
});
afterAll(async () => ctx?.close());

describe('admission cache across replicas', () => {
  it("sees another replica's change through the generation within the check interval", async () => {
    const witness = await call<{ id: string }>('POST', '/v1/signature/witnesses', { name: 'w' });
    const cluster = await call<{ id: string; token: string }>('POST', '/v1/clusters', { name: 'c' });
    const policy = await call<{ id: string }>('POST', '/v1/signature/policies', {
      name: 'p',
      witnessId: witness.id,
      clusterId: cluster.id,
      namespaces: ['prod'],
      enabled: true,
    });
    // A second "replica": its own cache, a short re-check interval, no local notes from the other one's writes.
    const replica = new AdmissionEngine(ctx.services.db, undefined, 200);
    const who = await replica.authenticate(cluster.token);
    expect(who).toMatchObject({ id: cluster.id, accountId: acct.accountId });
    if (!who) return;
    const unsigned = `registry.example.com/x/y@sha256:${'12'.repeat(32)}`;
    expect(await replica.review(who, request(unsigned))).toMatchObject({ allowed: false, outcome: 'denied' });

    // What another replica writes: the policy switched off and the generation bumped, nothing noted here.
    await ctx.services.db.transaction(async (tx) => {
      await tx.update(signaturePolicies).set({ enabled: false }).where(eq(signaturePolicies.id, policy.id));
      await bumpSignatureGeneration(tx, acct.accountId);
    });
    const started = Date.now();
    let decision = await replica.review(who, request(unsigned));
    while (!decision.allowed && Date.now() - started < 5_000) {
      await new Promise((r) => setTimeout(r, 25));
      decision = await replica.review(who, request(unsigned));
    }
    expect(decision).toMatchObject({ allowed: true, outcome: 'notCovered' });

    // A rotated cluster token stops working at once on the replica that rotated it, cached or not.
    const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: request(unsigned) };
    const before = await ctx.request('POST', `/admission/v1/validate/${cluster.token}`, { body: review });
    expect(before.status).toBe(200);
    await call('POST', `/v1/clusters/${cluster.id}/token`);
    const after = await ctx.request('POST', `/admission/v1/validate/${cluster.token}`, { body: review });
    expect(after.status).toBe(401);
    await replica.flushDecisions();
  });
});
