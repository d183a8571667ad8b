import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { admissionEngineFor } from '../../../services/signature/admission-engine.js';
import { admissionDecisions } from '../../../db/schema/signature.js';
import { createTestContext, type TestAccount, type TestContext } from '../../../test/harness.js';

const fixtures = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../test/fixtures/admission',
);
type Review = { request: { uid: string; namespace: string; object: Record<string, unknown> } };
const fixture = (name: 'pod' | 'deployment' | 'cronjob', namespace = 'prod'): Review => {
  const r = JSON.parse(readFileSync(path.join(fixtures, `${name}.json`), 'utf8')) as Review;
  r.request.namespace = namespace;
  return r;
};
const imagesOf = (r: Review): string[] =>
  JSON.stringify(r.request.object).match(/registry\.example\.com\/[a-z/]+@sha256:[0-9a-f]{64}/g) ?? [];

interface PodSpecHolder {
  containers?: { name: string; image: string }[];
  template?: { spec: PodSpecHolder };
  jobTemplate?: { spec: { template: { spec: PodSpecHolder } } };
}

let ctx: TestContext;
let acct: TestAccount;
let witnessId: string;
let cluster: { id: string; token: string; webhookConfig: Record<string, unknown> };

async function call(method: string, p: string, body?: unknown, key = acct.apiKey) {
  const res = await ctx.request(method, p, { key, body });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, never> };
}

async function admit(review: unknown, token = cluster.token, via: 'path' | 'bearer' = 'path') {
  const res =
    via === 'path'
      ? await ctx.request('POST', `/admission/v1/validate/${token}`, { body: review })
      : await ctx.request('POST', '/admission/v1/validate', {
          body: review,
          headers: { authorization: `Bearer ${token}` },
        });
  return {
    status: res.status,
    body: (await res.json()) as {
      response: Record<string, never>;
      error?: { code: string; message: string };
    },
  };
}

async function policy(body: Record<string, unknown>) {
  const r = await call('POST', '/v1/signature/policies', {
    name: `p-${Math.random()}`,
    witnessId,
    clusterId: cluster.id,
    namespaces: ['prod'],
    ...body,
  });
  expect(r.status).toBe(201);
  return r.body as unknown as { id: string; version: number; enabled: boolean };
}

const sign = async (image: string) =>
  expect((await call('POST', '/v1/signature/signatures', { image, witnessId })).status).toBe(201);

beforeAll(async () => {
  ctx = await createTestContext();
  acct = await ctx.createAccount('admission');
  witnessId = (
    (await call('POST', '/v1/signature/witnesses', { name: 'prod-release' })).body as unknown as {
      id: string;
    }
  ).id;
  const c = await call('POST', '/v1/clusters', { name: 'prod-ack' });
  expect(c.status).toBe(201);
  cluster = c.body as unknown as typeof cluster;
});
afterAll(async () => ctx?.close());

describe('clusters and webhook configuration', () => {
  it('shows the token once, stores it hashed, and gives a ready-to-apply ValidatingWebhookConfiguration', async () => {
    expect(cluster.token).toMatch(/^vgc_[A-Za-z0-9]{40}$/);
    const listed = await call('GET', '/v1/clusters');
    expect(JSON.stringify(listed.body)).not.toContain(cluster.token);
    const res = await ctx.request('GET', `/v1/clusters/${cluster.id}/webhook-config`, { key: acct.apiKey });
    expect(res.headers.get('content-type')).toMatch(/yaml/);
    const doc = parse(await res.text()) as {
      apiVersion: string;
      kind: string;
      webhooks: {
        clientConfig: { url: string };
        sideEffects: string;
        admissionReviewVersions: string[];
        timeoutSeconds: number;
        failurePolicy: string;
        namespaceSelector: unknown;
        rules: { resources: string[] }[];
      }[];
    };
    expect(doc).toMatchObject({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
    });
    const [hook] = doc.webhooks;
    expect(hook).toMatchObject({
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      timeoutSeconds: 5,
      failurePolicy: 'Fail',
    });
    expect(hook?.clientConfig.url).toBe(`${ctx.services.publicUrl}/admission/v1/validate/CLUSTER_TOKEN`);
    expect(hook?.namespaceSelector).toEqual({
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }],
    });
    expect(hook?.rules.flatMap((r) => r.resources)).toEqual(
      expect.arrayContaining([
        'pods',
        'deployments',
        'replicasets',
        'statefulsets',
        'daemonsets',
        'jobs',
        'cronjobs',
      ]),
    );
    const created = cluster.webhookConfig as { webhooks: { clientConfig: { url: string } }[] };
    expect(created.webhooks[0]?.clientConfig.url).toBe(
      `${ctx.services.publicUrl}/admission/v1/validate/${cluster.token}`,
    );
  });

  it('refuses API keys, unknown tokens and malformed reviews with the error envelope', async () => {
    expect((await admit(fixture('pod'), acct.apiKey)).status).toBe(401);
    expect((await admit(fixture('pod'), 'vgc_unknown-token-value')).status).toBe(401);
    const bad = await admit({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: { uid: 'x' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('bad_request');
    const noSpec = fixture('deployment');
    noSpec.request.object = { metadata: { name: 'x' } };
    expect((await admit(noSpec)).status).toBe(400);
  });

  it('over real HTTP, sizes the body by its Content-Length: too large is a 413, within the limit is answered', async () => {
    const base = await ctx.listen();
    const post = (review: unknown) =>
      fetch(`${base}/admission/v1/validate/${cluster.token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(review),
      });
    const huge = fixture('pod');
    huge.request.object.padding = 'x'.repeat(ctx.config.VIGIL_MAX_BODY_BYTES);
    const refused = await post(huge);
    expect(refused.status).toBe(413);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    const answered = await post(fixture('pod'));
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as { response: { uid: string } }).response.uid).toBe(
      fixture('pod').request.uid,
    );
  });
});

describe('admission', () => {
  it('admits everything while the only policy is off (the default)', async () => {
    const p = await policy({ mode: 'enforce' });
    expect(p.enabled).toBe(false);
    const r = await admit(fixture('pod'));
    expect(r.body.response).toMatchObject({ uid: fixture('pod').request.uid, allowed: true });
    await call('DELETE', `/v1/signature/policies/${p.id}`);
  });

  it('enforce: denies each unsigned image by name, then admits once all are signed (Pod, Deployment, CronJob)', async () => {
    const p = await policy({ mode: 'enforce', enabled: true });
    const pod = fixture('pod');
    const denied = await admit(pod);
    expect(denied.status).toBe(200);
    expect(denied.body.response).toMatchObject({
      uid: pod.request.uid,
      allowed: false,
      status: { code: 403 },
    });
    const message = (denied.body.response as unknown as { status: { message: string } }).status.message;
    for (const img of imagesOf(pod)) expect(message).toContain(img);
    expect(message).toMatch(/init container "migrate"/);
    expect(message).toMatch(/ephemeral container "debug"/);
    expect(message).toMatch(/no signature by witness "prod-release"/);

    for (const img of imagesOf(pod).slice(0, 3)) await sign(img); // debug (ephemeral) stays unsigned
    const partial = await admit(pod);
    expect(partial.body.response).toMatchObject({ allowed: false });
    expect((partial.body.response as unknown as { status: { message: string } }).status.message).toMatch(
      /^1 of 4 image\(s\).*ephemeral container "debug"/,
    );
    await sign(imagesOf(pod)[3] ?? '');
    expect((await admit(pod, cluster.token, 'bearer')).body.response).toMatchObject({
      allowed: true,
      auditAnnotations: { decision: 'allowed' },
    });

    for (const name of ['deployment', 'cronjob'] as const) {
      const r = fixture(name);
      expect((await admit(r)).body.response).toMatchObject({ uid: r.request.uid, allowed: false });
      for (const img of imagesOf(r)) if (!imagesOf(pod).includes(img)) await sign(img);
      expect((await admit(r)).body.response).toMatchObject({ uid: r.request.uid, allowed: true });
    }

    const tagged = fixture('deployment');
    (
      tagged.request.object as { spec: { template: { spec: { containers: { image: string }[] } } } }
    ).spec.template.spec.containers[0] = {
      image: 'registry.example.com/shop/web:2.0',
    };
    const t = await admit(tagged);
    expect(t.body.response).toMatchObject({ allowed: false });
    // New policies resolve tags through the registry, which here does not exist: the policy's failure mode denies.
    expect(JSON.stringify(t.body.response)).toMatch(/tag \\"2.0\\" could not be resolved/);

    const trusted = await call('GET', '/v1/signature/trusted-images');
    const items = (trusted.body as unknown as { items: { image: string; label: string }[] }).items;
    expect(items.map((i) => i.image).sort()).toEqual(
      [
        ...new Set([...imagesOf(pod), ...imagesOf(fixture('deployment')), ...imagesOf(fixture('cronjob'))]),
      ].sort(),
    );
    expect(items.every((i) => i.label === 'Trusted Image')).toBe(true);
    await call('DELETE', `/v1/signature/policies/${p.id}`);
  });

  it('warn admits with a warning per failing image; dryRun admits and records "would deny" (Pod, Deployment, CronJob)', async () => {
    const p = await policy({ mode: 'warn', enabled: true });
    const extra = `registry.example.com/shop/extra@sha256:${'99'.repeat(32)}`;
    /** Each fixture with one more, unsigned, container in its pod spec. */
    const withUnsigned = (name: 'pod' | 'deployment' | 'cronjob') => {
      const r = fixture(name);
      const o = r.request.object as { spec: PodSpecHolder };
      const podSpec =
        name === 'pod'
          ? o.spec
          : name === 'deployment'
            ? o.spec.template?.spec
            : o.spec.jobTemplate?.spec.template.spec;
      podSpec?.containers?.push({ name: 'extra', image: extra });
      return r;
    };
    const kinds = ['pod', 'deployment', 'cronjob'] as const;
    for (const name of kinds) {
      const warned = await admit(withUnsigned(name));
      expect(warned.body.response, name).toMatchObject({
        uid: fixture(name).request.uid,
        allowed: true,
        auditAnnotations: { decision: 'warned', mode: 'warn' },
      });
      expect(warned.body.response.warnings as unknown as string[]).toEqual([
        expect.stringMatching(
          /container "extra" image "registry.example.com\/shop\/extra@sha256:9+": no signature/,
        ),
      ]);
    }

    const upd = await call('PATCH', `/v1/signature/policies/${p.id}`, { mode: 'dryRun' });
    expect(upd.body).toMatchObject({ mode: 'dryRun', version: 2 });
    for (const name of kinds) {
      const dry = await admit(withUnsigned(name));
      expect(dry.body.response, name).toMatchObject({
        allowed: true,
        auditAnnotations: { decision: 'would-deny' },
      });
      expect(dry.body.response.warnings).toBeUndefined();
    }
    await admissionEngineFor(ctx.services).flushDecisions();
    const rows = await ctx.services.db
      .select()
      .from(admissionDecisions)
      .where(
        and(eq(admissionDecisions.accountId, acct.accountId), eq(admissionDecisions.outcome, 'wouldDeny')),
      );
    expect(rows.map((r) => r.kind).sort()).toEqual(['CronJob', 'Deployment', 'Pod']);
    for (const row of rows) {
      expect(row).toMatchObject({ allowed: true, mode: 'dryRun', policyId: p.id, policyVersion: 2 });
      expect(row.message).toMatch(/^dry run, would deny: .*extra/);
    }
    const unsigned = withUnsigned('cronjob');

    // A policy change empties the cache: enforce now denies at once.
    await call('PATCH', `/v1/signature/policies/${p.id}`, { mode: 'enforce' });
    expect((await admit(unsigned)).body.response).toMatchObject({ allowed: false });
    await call('DELETE', `/v1/signature/policies/${p.id}`);
  });

  it('admits namespaces no enabled policy covers, and keeps each cluster to its own policies', async () => {
    const p = await policy({ mode: 'enforce', enabled: true, namespaces: ['prod'] });
    const unsigned = fixture('pod', 'prod');
    (unsigned.request.object as { spec: { containers: { image: string }[] } }).spec.containers[0] = {
      image: 'nginx:1.25',
    } as { image: string };
    expect((await admit(unsigned)).body.response).toMatchObject({ allowed: false });
    const elsewhere = await admit(fixture('pod', 'staging'));
    expect(elsewhere.body.response).toMatchObject({
      allowed: true,
      auditAnnotations: { decision: 'not-covered' },
    });

    const other = (await call('POST', '/v1/clusters', { name: 'dev-cluster' })).body as unknown as {
      token: string;
    };
    expect((await admit(unsigned, other.token)).body.response).toMatchObject({
      allowed: true,
      auditAnnotations: { decision: 'not-covered' },
    });
    const otherAccount = await ctx.createAccount('other tenant');
    const foreign = await call(
      'POST',
      '/v1/signature/policies',
      { name: 'x', witnessId, clusterId: cluster.id, namespaces: ['prod'] },
      otherAccount.apiKey,
    );
    expect(foreign.status).toBe(422);
    await call('DELETE', `/v1/signature/policies/${p.id}`);
    await admissionEngineFor(ctx.services).flushDecisions();
    const decisions = await ctx.services.db
      .select()
      .from(admissionDecisions)
      .where(eq(admissionDecisions.accountId, acct.accountId));
    expect(decisions.length).toBeGreaterThanOrEqual(15);
  });
});
