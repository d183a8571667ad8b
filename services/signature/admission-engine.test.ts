import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureClusters, signaturePolicies } from '../../db/schema/signature.js';
import type { TAdmissionRequest } from '../../domain/signature/admission-review.js';
import { createTestContext, type TestAccount, type TestContext } from '../../test/harness.js';
import { hashToken } from '../../platform/secrets.js';
import { AdmissionEngine } from './admission-engine.js';
import { newClusterToken } from './cluster-views.js';
import { rotateClusterToken } from './rotate-cluster-token.js';
import { bumpSignatureGeneration } from './signature-state.js';

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
    const lost: unknown[] = [];
    const replica = new AdmissionEngine(ctx.services.db, (err) => lost.push(err), 200);
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

    // A token replaced through another replica (row updated, generation bumped, nothing noted here) stops
    // working on this one within the check interval, though it is cached here; the new token works.
    expect(await replica.authenticate(cluster.token)).toMatchObject({ id: cluster.id });
    const elsewhere = newClusterToken();
    await ctx.services.db.transaction(async (tx) => {
      await tx
        .update(signatureClusters)
        .set({ tokenHash: hashToken(elsewhere) })
        .where(eq(signatureClusters.id, cluster.id));
      await bumpSignatureGeneration(tx, acct.accountId);
    });
    const rotatedAt = Date.now();
    while ((await replica.authenticate(cluster.token)) !== null && Date.now() - rotatedAt < 5_000) {
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(await replica.authenticate(cluster.token)).toBeNull();
    expect(Date.now() - rotatedAt).toBeLessThan(200 + 2_000);
    expect(await replica.authenticate(elsewhere)).toMatchObject({ id: cluster.id });
    await ctx.services.db
      .update(signatureClusters)
      .set({ tokenHash: hashToken(cluster.token) })
      .where(eq(signatureClusters.id, cluster.id));

    // A rotated cluster token stops working at once on the replica that rotated it, cached or not.
    const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: request(unsigned) };
    const before = await ctx.request('POST', `/admission/v1/validate/${cluster.token}`, { body: review });
    expect(before.status).toBe(200);
    await call('POST', `/v1/clusters/${cluster.id}/token`);
    const after = await ctx.request('POST', `/admission/v1/validate/${cluster.token}`, { body: review });
    expect(after.status).toBe(401);
    await replica.flushDecisions();
    expect(lost).toEqual([]);
  });

  it('does not keep a token that was replaced while it was being looked up', async () => {
    const first = await call<{ id: string; token: string }>('POST', '/v1/clusters', { name: 'raced' });
    const second = await call<{ id: string; token: string }>('POST', '/v1/clusters', { name: 'other' });
    let rotateDuringLookup = false;
    let newToken = '';
    // The engine's database, except that the next cluster-token lookup is followed, before the engine sees its
    // row, by this process rotating that token (committed and noted, as the API does).
    const db = new Proxy(ctx.services.db, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (prop !== 'select') return typeof value === 'function' ? value.bind(target) : value;
        return (fields?: Record<string, unknown>) => {
          const builder = target.select(fields as never);
          if (!rotateDuringLookup || !fields || !('accountId' in fields) || !('id' in fields)) return builder;
          rotateDuringLookup = false;
          return {
            from: (table: typeof signatureClusters) => ({
              where: async (where: Parameters<ReturnType<typeof builder.from>['where']>[0]) => {
                const rows = await builder.from(table).where(where);
                newToken = (
                  await rotateClusterToken(
                    ctx.services.db,
                    { accountId: acct.accountId, actor: 'test' },
                    { clusterId: first.id },
                  )
                ).token;
                return rows;
              },
            }),
          };
        };
      },
    });
    const engine = new AdmissionEngine(db, (err) => expect.fail(String(err)), 60_000);
    // The account's snapshot is current here; the raced token is not cached yet.
    expect(await engine.authenticate(second.token)).toMatchObject({ id: second.id });
    rotateDuringLookup = true;
    await engine.authenticate(first.token); // concurrent with the rotation: either answer is fair
    expect(newToken).not.toBe('');
    expect(await engine.authenticate(first.token)).toBeNull();
    expect(await engine.authenticate(newToken)).toMatchObject({ id: first.id });
  });

  it('reuses a decision only for the same images in the same containers', async () => {
    const witness = await call<{ id: string }>('POST', '/v1/signature/witnesses', { name: 'memo' });
    const cluster = await call<{ id: string; token: string }>('POST', '/v1/clusters', { name: 'memo' });
    await call('POST', '/v1/signature/policies', {
      name: 'memo',
      witnessId: witness.id,
      clusterId: cluster.id,
      namespaces: ['prod'],
      enabled: true,
    });
    const engine = new AdmissionEngine(ctx.services.db, () => undefined, 60_000);
    const who = await engine.authenticate(cluster.token);
    if (!who) throw new Error('cluster token not found');
    const unsigned = `registry.example.com/memo/app@sha256:${'34'.repeat(32)}`;
    const pod = (container: string): TAdmissionRequest => ({
      ...request(unsigned),
      object: { metadata: { name: 'p' }, spec: { containers: [{ name: container, image: unsigned }] } },
    });
    const first = await engine.review(who, pod('api'));
    expect(first.message).toMatch(/container "api" image/);
    expect((await engine.review(who, pod('api'))).message).toBe(first.message);
    // The same image in another container: its own decision, naming its own container.
    expect((await engine.review(who, pod('worker'))).message).toMatch(/container "worker" image/);
    await engine.flushDecisions();
  });
});
