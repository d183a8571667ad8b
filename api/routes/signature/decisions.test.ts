import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admissionDecisions, trustedImages } from '../../../db/schema/signature.js';
import { MAX_IMAGES_PER_REVIEW } from '../../../domain/signature/rules.js';
import {
  body,
  createTestContext,
  type Page,
  type TestAccount,
  type TestContext,
} from '../../../test/harness.js';
import type { TAdmissionDecision } from './decisions.js';

const fixtures = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../test/fixtures/admission',
);
interface Review {
  request: {
    uid: string;
    namespace: string;
    dryRun?: boolean;
    object: { spec: { containers: { name: string; image: string }[]; initContainers?: unknown[] } };
  };
}
const pod = (namespace = 'prod', uid: string = crypto.randomUUID()): Review => {
  const r = JSON.parse(readFileSync(path.join(fixtures, 'pod.json'), 'utf8')) as Review;
  r.request.namespace = namespace;
  r.request.uid = uid;
  return r;
};
const imagesOf = (r: Review): string[] =>
  JSON.stringify(r.request.object).match(/registry\.example\.com\/[a-z/]+@sha256:[0-9a-f]{64}/g) ?? [];

/** The reviews a cluster may send a second in this file: small, so the limit is reached in a test. */
const PER_SECOND = 20;

let ctx: TestContext;
let acct: TestAccount;
let witnessId: string;

beforeAll(async () => {
  ctx = await createTestContext({ env: { VIGIL_ADMISSION_REVIEWS_PER_SECOND: String(PER_SECOND) } });
  acct = await ctx.createAccount('decisions');
  witnessId = (await body<{ id: string }>(await post('/v1/signature/witnesses', { name: 'release' }))).id;
  for (const image of imagesOf(pod())) {
    expect((await post('/v1/signature/signatures', { image, witnessId })).status).toBe(201);
  }
});
afterAll(async () => ctx?.close());

function post(p: string, payload: unknown, key = acct.apiKey) {
  return ctx.request('POST', p, { key, body: payload });
}

/** A cluster with an enabled enforce policy over `prod` (each test its own, so rate buckets stay apart). */
async function clusterWithPolicy(key = acct.apiKey, witness = witnessId) {
  const c = await body<{ id: string; token: string }>(
    await post('/v1/clusters', { name: `c-${crypto.randomUUID()}` }, key),
  );
  const p = await post(
    '/v1/signature/policies',
    {
      name: `p-${crypto.randomUUID()}`,
      witnessId: witness,
      clusterId: c.id,
      namespaces: ['prod'],
      enabled: true,
      mode: 'enforce',
    },
    key,
  );
  expect(p.status).toBe(201);
  return c;
}

async function admit(review: Review, token: string) {
  const res = await ctx.request('POST', `/admission/v1/validate/${token}`, { body: review });
  expect(res.status).toBe(200);
  return (
    await body<{
      response: { allowed: boolean; status: { code: number; message: string; reason?: string } };
    }>(res)
  ).response;
}

const decisionsOf = (clusterId: string) =>
  ctx.services.db.select().from(admissionDecisions).where(eq(admissionDecisions.clusterId, clusterId));

async function listDecisions(query: string, key = acct.apiKey) {
  const res = await ctx.request('GET', `/v1/signature/decisions${query}`, { key });
  expect(res.status).toBe(200);
  return body<Page<TAdmissionDecision>>(res);
}

describe('dry-run reviews have no side effects', () => {
  it('answers a dry run like any review but labels nothing and records nothing', async () => {
    const cluster = await clusterWithPolicy();
    const dry = pod();
    dry.request.dryRun = true;
    expect(await admit(dry, cluster.token)).toMatchObject({ allowed: true });
    await ctx.request('GET', '/v1/signature/decisions', { key: acct.apiKey }); // flushes this replica's queue
    expect(await decisionsOf(cluster.id)).toEqual([]);
    const labels = await ctx.services.db
      .select({ n: count() })
      .from(trustedImages)
      .where(eq(trustedImages.clusterId, cluster.id));
    expect(labels[0]?.n).toBe(0);

    expect(await admit(pod(), cluster.token)).toMatchObject({ allowed: true });
    await ctx.request('GET', '/v1/signature/decisions', { key: acct.apiKey });
    expect(await decisionsOf(cluster.id)).toHaveLength(1);
    const labelled = await ctx.services.db
      .select({ n: count() })
      .from(trustedImages)
      .where(eq(trustedImages.clusterId, cluster.id));
    expect(labelled[0]?.n).toBe(imagesOf(pod()).length);
  });
});

describe('GET /v1/signature/decisions', () => {
  it('filters by cluster, namespace, allowed, outcome, image, digest and time, and pages newest first', async () => {
    const a = await clusterWithPolicy();
    const b = await clusterWithPolicy();
    const start = new Date().toISOString();
    const unsigned = pod();
    const [first] = unsigned.request.object.spec.containers;
    if (!first) throw new Error('the fixture has no container');
    first.image = `registry.example.com/shop/unsigned@sha256:${'f'.repeat(64)}`;
    const uids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = pod('prod', `a-allowed-${i}`);
      uids.push(r.request.uid);
      await admit(r, a.token);
    }
    await admit({ ...unsigned, request: { ...unsigned.request, uid: 'a-denied' } }, a.token);
    await admit(pod('dev', 'a-dev'), a.token);
    await admit(pod('prod', 'b-allowed'), b.token);

    const all = await listDecisions(`?clusterId=${a.id}`);
    // Newest first (ids made within one millisecond share their time part, so only the set is certain).
    expect(all.items.map((d) => d.requestUid).sort()).toEqual(
      ['a-allowed-0', 'a-allowed-1', 'a-allowed-2', 'a-denied', 'a-dev'].sort(),
    );
    const ids = all.items.map((d) => d.id);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(all.items.find((d) => d.requestUid === 'a-denied')).toMatchObject({
      allowed: false,
      outcome: 'denied',
      namespace: 'prod',
      kind: 'Pod',
      images: expect.arrayContaining([
        expect.objectContaining({ field: 'containers', container: first.name, image: first.image }),
      ]),
    });

    const denied = await listDecisions(`?clusterId=${a.id}&allowed=false`);
    expect(denied.items.map((d) => d.requestUid)).toEqual(['a-denied']);
    const dev = await listDecisions(`?clusterId=${a.id}&namespace=dev`);
    expect(dev.items.map((d) => d.requestUid)).toEqual(['a-dev']);
    expect(dev.items[0]?.outcome).toBe('notCovered');
    const byImage = await listDecisions(`?image=${encodeURIComponent(first.image)}`);
    expect(byImage.items.map((d) => d.requestUid)).toEqual(['a-denied']);
    const byDigest = await listDecisions(`?digest=sha256:${'f'.repeat(64)}`);
    expect(byDigest.items.map((d) => d.requestUid)).toEqual(['a-denied']);
    const byOutcome = await listDecisions(`?clusterId=${b.id}&outcome=allowed`);
    expect(byOutcome.items.map((d) => d.requestUid)).toEqual(['b-allowed']);

    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await listDecisions(`?clusterId=${a.id}&since=${future}`)).items).toEqual([]);
    expect((await listDecisions(`?clusterId=${a.id}&since=${start}&until=${future}`)).items).toHaveLength(5);
    expect((await listDecisions(`?clusterId=${a.id}&until=${start}`)).items).toEqual([]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const p: Page<TAdmissionDecision> = await listDecisions(
        `?clusterId=${a.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...p.items.map((d) => d.requestUid));
      cursor = p.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.items.map((d) => d.requestUid));

    const bad = await ctx.request('GET', '/v1/signature/decisions?digest=sha256:zz&allowed=maybe', {
      key: acct.apiKey,
    });
    expect(bad.status).toBe(400);
    const backwards = await ctx.request('GET', `/v1/signature/decisions?since=${future}&until=${start}`, {
      key: acct.apiKey,
    });
    expect(backwards.status).toBe(400);
  });

  it("shows an account only its own clusters' decisions", async () => {
    const other = await ctx.createAccount('other');
    const otherWitness = (
      await body<{ id: string }>(await post('/v1/signature/witnesses', { name: 'theirs' }, other.apiKey))
    ).id;
    const theirs = await clusterWithPolicy(other.apiKey, otherWitness);
    await admit(pod('prod', 'theirs'), theirs.token);
    expect((await listDecisions(`?clusterId=${theirs.id}`)).items).toEqual([]);
    expect(
      (await listDecisions(`?clusterId=${theirs.id}`, other.apiKey)).items.map((d) => d.requestUid),
    ).toEqual(['theirs']);
  });
});

describe('admission limits', () => {
  it(`denies a covered review listing more than ${MAX_IMAGES_PER_REVIEW} images with a clear message`, async () => {
    const cluster = await clusterWithPolicy();
    const huge = pod('prod', 'huge');
    const image = imagesOf(huge)[0] ?? '';
    const others = imagesOf(huge).length - huge.request.object.spec.containers.length;
    huge.request.object.spec.containers = Array.from({ length: 10_000 }, (_, i) => ({
      name: `c${i}`,
      image,
    }));
    const started = performance.now();
    const answer = await admit(huge, cluster.token);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(answer).toMatchObject({ allowed: false, status: { code: 403 } });
    expect(answer.status.message).toContain(`lists ${10_000 + others} container images`);
    expect(answer.status.message).toContain(`checks at most ${MAX_IMAGES_PER_REVIEW} per review`);
    const atCap = pod('prod', 'at-cap');
    atCap.request.object.spec.containers = Array.from({ length: MAX_IMAGES_PER_REVIEW - others }, (_, i) => ({
      name: `c${i}`,
      image,
    }));
    expect(await admit(atCap, cluster.token)).toMatchObject({ allowed: true });
    // A namespace no policy covers is none of the webhook's business, however large the pod.
    expect(
      await admit({ ...huge, request: { ...huge.request, namespace: 'dev' } }, cluster.token),
    ).toMatchObject({
      allowed: true,
    });
  });

  it(`refuses a cluster past ${PER_SECOND} reviews a second with 429, without touching other clusters`, async () => {
    const busy = await clusterWithPolicy();
    const calm = await clusterWithPolicy();
    const answers = await Promise.all(
      Array.from({ length: PER_SECOND * 3 }, (_, i) => admit(pod('dev', `flood-${i}`), busy.token)),
    );
    const limited = answers.filter((a) => !a.allowed);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]?.status).toMatchObject({ code: 429, reason: 'TooManyRequests' });
    expect(limited[0]?.status.message).toContain(`more than ${PER_SECOND} admission reviews a second`);
    expect(await admit(pod('dev', 'calm'), calm.token)).toMatchObject({ allowed: true });
    // Refused reviews are not recorded: only those answered are.
    await ctx.request('GET', '/v1/signature/decisions', { key: acct.apiKey });
    expect(await decisionsOf(busy.id)).toHaveLength(answers.length - limited.length);
  });
});
