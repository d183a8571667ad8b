import { createServer, type Server, type Socket } from 'node:net';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admissionEngineFor } from '../../../services/signature/admission-engine.js';
import { registrySourceFor } from '../../../services/signature/registry-source.js';
import { admissionDecisions, trustedImages } from '../../../db/schema/signature.js';
import { auditLog } from '../../../db/schema/audit.js';
import { buildCosignPayload } from '../../../domain/signature/cosign-payload.js';
import { WEBHOOK_TIMEOUT_SECONDS } from '../../../domain/signature/rules.js';
import { createTestContext, type TestAccount, type TestContext } from '../../../test/harness.js';
import { podReview } from '../../../test/admission-review.js';
import {
  pushCosignSignatureByHand,
  pushTestImage,
  putTestManifest,
  startTestRegistry,
  type TestRegistry,
} from '../../../test/registry.js';

let ctx: TestContext;
let acct: TestAccount;
let open: TestRegistry;
let locked: TestRegistry;
let cluster: { id: string; token: string };
let hung: Server;
const hungSockets = new Set<Socket>();
let nsCounter = 0;

async function call(method: string, p: string, body?: unknown) {
  const res = await ctx.request(method, p, { key: acct.apiKey, body });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

interface AdmissionAnswer {
  allowed: boolean;
  status: { message: string };
  warnings?: string[];
  auditAnnotations: Record<string, string>;
}

async function admit(
  namespace: string,
  images: string[],
  annotations?: Record<string, string>,
): Promise<AdmissionAnswer> {
  const uid = `uid-${Math.random()}`;
  const res = await ctx.request('POST', `/admission/v1/validate/${cluster.token}`, {
    body: podReview({
      uid,
      namespace,
      name: 'web',
      userInfo: { username: 'oncall@example.com' },
      images,
      annotations,
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { response: AdmissionAnswer }).response;
}

/** Request uids of the namespace's decisions that `GET /v1/signature/decisions?digest=` returns. */
async function decisionUidsByDigest(digest: string, namespace: string): Promise<string[]> {
  const r = await call('GET', `/v1/signature/decisions?digest=${digest}&namespace=${namespace}&limit=100`);
  expect(r.status).toBe(200);
  return (r.body.items as { requestUid: string }[]).map((d) => d.requestUid);
}

/** A policy of its own namespace, enabled, enforcing; returns the namespace. */
async function policy(witnessId: string, extra: Record<string, unknown> = {}): Promise<string> {
  const namespace = `ns-${++nsCounter}`;
  const r = await call('POST', '/v1/signature/policies', {
    name: namespace,
    witnessId,
    clusterId: cluster.id,
    namespaces: [namespace],
    enabled: true,
    ...extra,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return namespace;
}

async function witness(name: string, key?: Record<string, unknown>): Promise<string> {
  const r = await call('POST', '/v1/signature/witnesses', { name, ...(key ? { key } : {}) });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as string;
}

/** What `cosign sign --key k.pem img@digest` computes: the payload and its RSASSA-PKCS1-v1_5 signature. */
function cosignSign(privateKeyPem: string, name: string, digest: string) {
  const payload = buildCosignPayload({ image: { name, digest } });
  const signature = createSign('sha256').update(payload).sign(privateKeyPem).toString('base64');
  return { payload, signature };
}

const rsa = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

beforeAll(async () => {
  ctx = await createTestContext();
  acct = await ctx.createAccount('registry');
  [open, locked] = await Promise.all([startTestRegistry(), startTestRegistry({ basicAuth: true })]);
  const c = await call('POST', '/v1/clusters', { name: 'prod' });
  cluster = c.body as unknown as typeof cluster;
  // A registry that accepts connections and never answers: the slow outage a timeout must cut short.
  hung = createServer((s) => {
    hungSockets.add(s);
    s.on('close', () => hungSockets.delete(s));
  });
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const s of hungSockets) s.destroy();
  await new Promise<void>((resolve) => hung?.close(() => resolve()));
  await Promise.all([open?.dispose(), locked?.dispose()]);
  await ctx?.close();
});

describe("signatures in the image's registry", () => {
  it("signing writes cosign's .sig manifest next to the image; the same signature twice is written once", async () => {
    const w = await witness('vigil-signer');
    const digest = await pushTestImage(open, 'shop/web');
    const image = `${open.host}/shop/web@${digest}`;
    const signed = await call('POST', '/v1/signature/signatures', { image, witnessId: w });
    expect(signed.status).toBe(201);
    const tag = `sha256-${digest.slice(7)}.sig`;
    expect(signed.body.registry).toEqual({
      status: 'pushed',
      location: `${open.host}/shop/web:${tag}`,
      reason: null,
    });
    const m = (await (
      await fetch(`${open.url}/v2/shop/web/manifests/${tag}`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      })
    ).json()) as { layers: { mediaType: string; digest: string; annotations: Record<string, string> }[] };
    expect(m.layers).toHaveLength(1);
    expect(m.layers[0]).toMatchObject({
      mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
      annotations: { 'dev.cosignproject.cosign/signature': signed.body.signature },
    });
    const blob = await (await fetch(`${open.url}/v2/shop/web/blobs/${m.layers[0]?.digest}`)).text();
    expect(blob).toBe(signed.body.payload);

    const again = await call('POST', '/v1/signature/signatures', { image, witnessId: w });
    expect(again.status).toBe(200);
    expect(again.body.registry).toMatchObject({ status: 'present' });
    const audit = await ctx.services.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.accountId, acct.accountId), eq(auditLog.action, 'signature.registry.push')));
    expect(audit).toHaveLength(1);

    const skipped = await call('POST', '/v1/signature/signatures', {
      image: `${open.host}/shop/other@${digest}`,
      witnessId: w,
      push: false,
    });
    expect(skipped.body.registry).toMatchObject({ status: 'skipped' });
  });

  it('a signature put in the registry by cosign (by hand here) with an imported key verifies at admission and through /verify', async () => {
    const keys = rsa();
    const w = await witness('ci-imported', { type: 'privateKey', pem: keys.privateKey });
    const verifyOnly = await witness('ci-public', { type: 'publicKey', pem: keys.publicKey });
    const digest = await pushTestImage(open, 'team/api');
    const name = `${open.host}/team/api`;
    const ns = await policy(w);
    const nsPublic = await policy(verifyOnly);

    const unsigned = await admit(ns, [`${name}@${digest}`]);
    expect(unsigned.allowed).toBe(false);
    expect(unsigned.status.message).toMatch(/no signature by witness "ci-imported"/);

    const { payload, signature } = cosignSign(keys.privateKey, name, digest);
    await pushCosignSignatureByHand(open, 'team/api', digest, payload, signature);
    // Another digest (the registry's "no signature" answer for the first one is cached for its TTL).
    const digest2 = await pushTestImage(open, 'team/api');
    const s2 = cosignSign(keys.privateKey, name, digest2);
    await pushCosignSignatureByHand(open, 'team/api', digest2, s2.payload, s2.signature);
    for (const n of [ns, nsPublic]) {
      const ok = await admit(n, [`${name}@${digest2}`]);
      expect(ok, n).toMatchObject({ allowed: true });
    }
    const trusted = await call('GET', '/v1/signature/trusted-images');
    expect(JSON.stringify(trusted.body)).toContain(`${name}@${digest2}`);

    const verified = await call('POST', '/v1/signature/verify', {
      image: `${name}@${digest2}`,
      witnessId: verifyOnly,
    });
    expect(verified.body).toMatchObject({ valid: true, keyVersion: 1, digest: digest2 });

    // A witness made from a public key signs nothing.
    const refused = await call('POST', '/v1/signature/signatures', {
      image: `${name}@${digest2}`,
      witnessId: verifyOnly,
    });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.body)).toMatch(/public key only/);

    // A signature by another key in the registry does not verify.
    const other = rsa();
    const digest3 = await pushTestImage(open, 'team/api');
    const s3 = cosignSign(other.privateKey, name, digest3);
    await pushCosignSignatureByHand(open, 'team/api', digest3, s3.payload, s3.signature);
    const denied = await admit(ns, [`${name}@${digest3}`]);
    expect(denied.allowed).toBe(false);
    expect(denied.status.message).toMatch(
      /does not verify under any enabled key version of witness "ci-imported"/,
    );
  });

  it('refuses keys that are not RSA-2048 PEMs with 422', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const r1 = await call('POST', '/v1/signature/witnesses', {
      name: 'ec',
      key: { type: 'publicKey', pem: ec.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    });
    expect(r1.status).toBe(422);
    expect(JSON.stringify(r1.body)).toMatch(/not an RSA-2048 key/);
    const r2 = await call('POST', '/v1/signature/witnesses', {
      name: 'junk',
      key: {
        type: 'privateKey',
        pem: `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(80)}\n-----END PRIVATE KEY-----`,
      },
    });
    expect(r2.status).toBe(422);
  });

  it('reads a private registry with the credential stored for it (Basic auth), and denies while it has none', async () => {
    const keys = rsa();
    const w = await witness('private-ci', { type: 'publicKey', pem: keys.publicKey });
    const ns = await policy(w);
    const name = `${locked.host}/team/secret`;
    const digest = await pushTestImage(locked, 'team/secret');
    const s = cosignSign(keys.privateKey, name, digest);
    await pushCosignSignatureByHand(locked, 'team/secret', digest, s.payload, s.signature);

    const anonymous = await admit(ns, [`${name}@${digest}`]);
    expect(anonymous.allowed).toBe(false);
    expect(anonymous.status.message).toMatch(/needs a credential \(Basic auth\); add one/);

    const added = await call('POST', '/v1/signature/registry-credentials', {
      registry: locked.host,
      username: locked.credential?.username,
      password: locked.credential?.password,
    });
    expect(added.status).toBe(201);
    expect(JSON.stringify(added.body)).not.toContain(locked.credential?.password);
    const listed = await call('GET', '/v1/signature/registry-credentials');
    expect(JSON.stringify(listed.body)).not.toContain(locked.credential?.password);
    const twice = await call('POST', '/v1/signature/registry-credentials', {
      registry: locked.host,
      username: 'other',
      password: 'x',
    });
    expect(twice.status).toBe(409);
    // Another digest: the refusal for the first one stays cached for its short TTL.
    const digest2 = await pushTestImage(locked, 'team/secret');
    const s2 = cosignSign(keys.privateKey, name, digest2);
    await pushCosignSignatureByHand(locked, 'team/secret', digest2, s2.payload, s2.signature);
    expect(await admit(ns, [`${name}@${digest2}`])).toMatchObject({ allowed: true });

    const removed = await call('DELETE', `/v1/signature/registry-credentials/${added.body.id as string}`);
    expect(removed.status).toBe(204);
    const actions = (
      await ctx.services.db.select().from(auditLog).where(eq(auditLog.accountId, acct.accountId))
    ).map((a) => a.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'signature.registry_credential.create',
        'signature.registry_credential.delete',
      ]),
    );
    expect(JSON.stringify(actions)).not.toContain(locked.credential?.password);
  });

  it('resolves a tag to its digest, verifies and records the digest with a warning; "digests only" refuses the tag', async () => {
    const w = await witness('tags');
    const digest = await pushTestImage(open, 'shop/cart', { tag: 'v1' });
    const name = `${open.host}/shop/cart`;
    expect(
      (await call('POST', '/v1/signature/signatures', { image: `${name}@${digest}`, witnessId: w })).status,
    ).toBe(201);
    const ns = await policy(w);
    const answer = await admit(ns, [`${name}:v1`]);
    expect(answer.allowed).toBe(true);
    expect(answer.warnings).toEqual([
      expect.stringMatching(new RegExp(`tag "v1" was resolved to ${digest}.*a tag can move`)),
    ]);
    await admissionEngineFor(ctx.services).flushDecisions();
    const [row] = await ctx.services.db
      .select()
      .from(admissionDecisions)
      .where(and(eq(admissionDecisions.accountId, acct.accountId), eq(admissionDecisions.namespace, ns)));
    expect(row?.images).toEqual([expect.objectContaining({ image: `${name}:v1`, digest })]);
    // The digest filter finds the decision by the digest the tag was resolved to.
    expect(await decisionUidsByDigest(digest, ns)).toEqual([row?.requestUid]);

    const verified = await call('POST', '/v1/signature/verify', { image: `${name}:v1`, witnessId: w });
    expect(verified.body).toMatchObject({
      valid: true,
      digest,
      warnings: [expect.stringMatching(/tag "v1"/)],
    });

    const missing = await admit(ns, [`${name}:nope`]);
    expect(missing.allowed).toBe(false);
    expect(missing.status.message).toMatch(/tag "nope" does not exist/);

    const strict = await policy(w, { tagPolicy: 'digestsOnly' });
    const refused = await admit(strict, [`${name}:v1`]);
    expect(refused.allowed).toBe(false);
    expect(refused.status.message).toMatch(/not pinned by digest/);
  });

  it('a registry outage follows the failure mode (deny, or allow with a warning) within the webhook timeout', async () => {
    const w = await witness('outage');
    const down = await startTestRegistry();
    const digest = await pushTestImage(down, 'team/app');
    await down.stop();
    const hungHost = `127.0.0.1:${(hung.address() as { port: number }).port}`;
    const deny = await policy(w, { registryFailure: 'deny' });
    const allow = await policy(w, { registryFailure: 'allow' });
    try {
      for (const host of [down.host, hungHost]) {
        const image = `${host}/team/app@${digest}`;
        let t = Date.now();
        const denied = await admit(deny, [image]);
        expect(Date.now() - t).toBeLessThan(WEBHOOK_TIMEOUT_SECONDS * 1000);
        expect(denied.allowed).toBe(false);
        expect(denied.status.message).toMatch(
          host === hungHost ? /did not answer in time/ : /is unreachable/,
        );
        t = Date.now();
        const allowed = await admit(allow, [`${host}/team/app:latest`, image]);
        expect(Date.now() - t).toBeLessThan(WEBHOOK_TIMEOUT_SECONDS * 1000);
        expect(allowed.allowed).toBe(true);
        expect(allowed.warnings).toEqual([
          expect.stringMatching(
            /admitted unverified \(registry failure mode allow\): tag "latest" could not be resolved/,
          ),
          expect.stringMatching(/admitted unverified \(registry failure mode allow\): no signature/),
        ]);
      }
    } finally {
      await down.dispose();
    }
  });

  it('checks only the images its globs select, minus exclusions; break-glass admits a denied Pod with a warning and an audit row', async () => {
    const w = await witness('scoped');
    const signedDigest = await pushTestImage(open, 'acme/api');
    const acme = `${open.host}/acme`;
    expect(
      (await call('POST', '/v1/signature/signatures', { image: `${acme}/api@${signedDigest}`, witnessId: w }))
        .status,
    ).toBe(201);
    const unsignedDigest = await pushTestImage(open, 'acme/worker');
    const ns = await policy(w, {
      images: ['127.0.0.1:*/acme/**'],
      excludedImages: ['127.0.0.1:*/acme/debug-*'],
    });

    // Outside the patterns: not checked, even unsigned.
    expect(
      await admit(ns, [`${acme}/api@${signedDigest}`, `${open.host}/other/x@${unsignedDigest}`]),
    ).toMatchObject({
      allowed: true,
      auditAnnotations: { decision: 'allowed' },
    });
    const denied = await admit(ns, [`${acme}/worker@${unsignedDigest}`]);
    expect(denied.allowed).toBe(false);
    expect(await admit(ns, [`${acme}/debug-shell@${unsignedDigest}`])).toMatchObject({
      allowed: true,
      auditAnnotations: { decision: 'not-covered' },
    });

    const glass = await admit(ns, [`${acme}/worker@${unsignedDigest}`], {
      'vigil.dev/break-glass': 'INC-4711 payment outage',
    });
    expect(glass).toMatchObject({ allowed: true, auditAnnotations: { decision: 'break-glass' } });
    expect(glass.warnings?.[0]).toMatch(/admitted by break-glass.*INC-4711 payment outage.*audited/);
    const audit = await ctx.services.db
      .select()
      .from(auditLog)
      .where(
        and(eq(auditLog.accountId, acct.accountId), eq(auditLog.action, 'signature.admission.break_glass')),
      );
    expect(audit).toHaveLength(1);
    expect(audit[0]?.after).toMatchObject({
      user: 'oncall@example.com',
      justification: 'INC-4711 payment outage',
    });

    const strict = await policy(w, { images: ['127.0.0.1:*/acme/**'], allowBreakGlass: false });
    const refused = await admit(strict, [`${acme}/worker@${unsignedDigest}`], {
      'vigil.dev/break-glass': 'please',
    });
    expect(refused.allowed).toBe(false);
    expect(refused.status.message).toMatch(/break-glass refused/);
    expect(
      (
        await call('POST', '/v1/signature/policies', {
          name: 'bad-glob',
          witnessId: w,
          clusterId: cluster.id,
          namespaces: ['x'],
          images: ['Not A Glob'],
        })
      ).status,
    ).toBe(400);
  });

  it('N of M: a policy with cosigners admits an image once the required number of its witnesses signed it', async () => {
    const [a, b, c] = [await witness('n-of-m-a'), await witness('n-of-m-b'), await witness('n-of-m-c')];
    const digest = await pushTestImage(open, 'team/quorum');
    const image = `${open.host}/team/quorum@${digest}`;
    const ns = await policy(a, { cosignerIds: [b, c], requiredSignatures: 2 });
    const sign = async (w: string) =>
      expect(
        (await call('POST', '/v1/signature/signatures', { image, witnessId: w, push: false })).status,
      ).toBe(201);

    await sign(a);
    const one = await admit(ns, [image]);
    expect(one.allowed).toBe(false);
    expect(one.status.message).toMatch(/signed by 1 of the 2 required witnesses \("n-of-m-a"\)/);
    await sign(c);
    expect(await admit(ns, [image])).toMatchObject({ allowed: true });

    const bad = async (body: Record<string, unknown>) =>
      (
        await call('POST', '/v1/signature/policies', {
          name: `bad-${Math.random()}`,
          witnessId: a,
          clusterId: cluster.id,
          namespaces: ['x'],
          ...body,
        })
      ).status;
    expect(await bad({ cosignerIds: [b], requiredSignatures: 3 })).toBe(422);
    expect(await bad({ cosignerIds: [a] })).toBe(422);
    expect(await bad({ cosignerIds: ['00000000-0000-7000-8000-000000000000'] })).toBe(422);
  });

  it("a signature on an image index covers its platform images, when the reference names the index's tag", async () => {
    const keys = rsa();
    const w = await witness('multi-arch', { type: 'privateKey', pem: keys.privateKey });
    const repo = 'team/multi';
    const name = `${open.host}/${repo}`;
    const amd64 = await pushTestImage(open, repo);
    const arm64 = await pushTestImage(open, repo);
    const stray = await pushTestImage(open, repo, { tag: 'single' });
    const descriptor = (digest: string, architecture: string) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest,
      // The registry checks neither size nor platform of an index's entries; the verifier reads only the digest.
      size: 400,
      platform: { architecture, os: 'linux' },
    });
    const index = await putTestManifest(
      open,
      repo,
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [descriptor(amd64, 'amd64'), descriptor(arm64, 'arm64')],
      },
      'v2',
    );
    // Only the index is signed, in cosign's layout, as `cosign sign` signs a multi-arch tag.
    const signed = cosignSign(keys.privateKey, name, index);
    await pushCosignSignatureByHand(open, repo, index, signed.payload, signed.signature);
    const ns = await policy(w, { tagPolicy: 'digestsOnly' });

    const viaIndex = await admit(ns, [`${name}:v2@${amd64}`, `${name}:v2@${arm64}`]);
    expect(viaIndex, viaIndex.status.message).toMatchObject({ allowed: true });
    // The platform digest alone does not say which index it came through: its own (absent) signature decides.
    const bare = await admit(ns, [`${name}@${amd64}`]);
    expect(bare.allowed).toBe(false);
    expect(bare.status.message).toMatch(/no signature by witness "multi-arch"/);
    // A tag that names no index listing the digest covers nothing.
    const wrongTag = await admit(ns, [`${name}:single@${arm64}`]);
    expect(wrongTag.allowed).toBe(false);
    // The index by its own digest verifies as itself.
    expect(await admit(ns, [`${name}@${index}`])).toMatchObject({ allowed: true });

    await admissionEngineFor(ctx.services).flushDecisions();
    const rows = await ctx.services.db
      .select()
      .from(admissionDecisions)
      .where(and(eq(admissionDecisions.accountId, acct.accountId), eq(admissionDecisions.namespace, ns)));
    const first = rows.find((r) => r.outcome === 'allowed' && (r.images as unknown[]).length === 2);
    expect(first?.images).toEqual([
      expect.objectContaining({ image: `${name}:v2@${amd64}`, digest: amd64, indexDigest: index }),
      expect.objectContaining({ image: `${name}:v2@${arm64}`, digest: arm64, indexDigest: index }),
    ]);
    // The digest filter finds a decision by the platform digest and by the index whose signature covered it.
    const uidOf = (image: string) =>
      rows.find((r) => (r.images as { image: string }[]).some((i) => i.image === image))?.requestUid;
    const [pair, alone, wrong, asIndex] = [
      uidOf(`${name}:v2@${amd64}`),
      uidOf(`${name}@${amd64}`),
      uidOf(`${name}:single@${arm64}`),
      uidOf(`${name}@${index}`),
    ];
    expect((await decisionUidsByDigest(index, ns)).sort()).toEqual([pair, asIndex].sort());
    expect((await decisionUidsByDigest(amd64, ns)).sort()).toEqual([pair, alone].sort());
    expect((await decisionUidsByDigest(arm64, ns)).sort()).toEqual([pair, wrong].sort());
    // The label goes to the digest whose signature was verified: the index.
    const labels = await ctx.services.db
      .select({ digest: trustedImages.digest })
      .from(trustedImages)
      .where(and(eq(trustedImages.accountId, acct.accountId), eq(trustedImages.repository, name)));
    expect(labels.map((l) => l.digest)).toEqual([index]);
    expect(stray).not.toBe(index);

    const verified = await call('POST', '/v1/signature/verify', {
      image: `${name}:v2@${arm64}`,
      witnessId: w,
    });
    expect(verified.body).toMatchObject({ valid: true, digest: arm64, indexDigest: index });
    const unverified = await call('POST', '/v1/signature/verify', {
      image: `${name}@${arm64}`,
      witnessId: w,
    });
    expect(unverified.body).toMatchObject({ valid: false, indexDigest: null });

    // As with `cosign verify`, a bare platform digest needs its own signature, which `cosign sign --recursive` writes.
    const recursive = cosignSign(keys.privateKey, name, amd64);
    await pushCosignSignatureByHand(open, repo, amd64, recursive.payload, recursive.signature);
    registrySourceFor(ctx.services).clear();
    const after = await policy(w, { tagPolicy: 'digestsOnly' });
    expect(await admit(after, [`${name}@${amd64}`])).toMatchObject({ allowed: true });
    expect((await admit(after, [`${name}@${arm64}`])).allowed).toBe(false);

    // A tag that resolves to the index: verified as the index, and the decision names the platform images it lists,
    // so a search by the digest a node pulled (a platform's) finds it.
    const resolving = await policy(w, { tagPolicy: 'resolve' });
    expect(await admit(resolving, [`${name}:v2`])).toMatchObject({ allowed: true });
    expect((await admit(resolving, [`${name}:single`])).allowed).toBe(false);
    await admissionEngineFor(ctx.services).flushDecisions();
    const tagged = await ctx.services.db
      .select()
      .from(admissionDecisions)
      .where(
        and(eq(admissionDecisions.accountId, acct.accountId), eq(admissionDecisions.namespace, resolving)),
      );
    const viaTag = tagged.find((r) => r.allowed);
    expect(viaTag?.images).toEqual([
      expect.objectContaining({ image: `${name}:v2`, digest: index, platformDigests: [amd64, arm64] }),
    ]);
    // A tag naming a single image records no platforms.
    expect(tagged.find((r) => !r.allowed)?.images).toEqual([
      expect.not.objectContaining({ platformDigests: expect.anything() }),
    ]);
    expect(await decisionUidsByDigest(arm64, resolving)).toEqual([viaTag?.requestUid]);
    expect(await decisionUidsByDigest(index, resolving)).toEqual([viaTag?.requestUid]);
    expect(await decisionUidsByDigest(stray, resolving)).toHaveLength(1);
  });
});
