import { verify } from 'node:crypto';
import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateKeyAad } from '../../../services/signature/key-provider.js';
import { auditLog } from '../../../db/schema/audit.js';
import { signatureKeyVersions } from '../../../db/schema/signature.js';
import { createTestContext, type TestAccount, type TestContext } from '../../../test/harness.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const IMAGE = `registry.example.com/team/app@${DIGEST}`;

let ctx: TestContext;
let acct: TestAccount;
const logLines: string[] = [];
const bodies: string[] = [];

async function call(method: string, path: string, body?: unknown, key = acct.apiKey) {
  const res = await ctx.request(method, path, { key, body });
  const text = await res.text();
  bodies.push(text);
  return { status: res.status, text, json: <T = Record<string, unknown>>() => JSON.parse(text) as T };
}

async function createWitness(name: string): Promise<{ id: string }> {
  const r = await call('POST', '/v1/signature/witnesses', { name, description: 'release signing' });
  expect(r.status).toBe(201);
  return r.json();
}

beforeAll(async () => {
  ctx = await createTestContext();
  // Capture every line the app logs, at the most verbose level, to scan for key material.
  ctx.services.logger = pino(
    { level: 'trace' },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        logLines.push(chunk.toString());
        cb();
      },
    }),
  );
  acct = await ctx.createAccount('signing');
});
afterAll(async () => ctx?.close());

describe('witnesses and signing', () => {
  let witnessId: string;
  let pem: string;
  let signature: {
    id: string;
    payload: string;
    payloadBase64: string;
    signature: string;
    keyVersion: number;
    cosign: { attach: string; verify: string };
  };

  it('creates a witness with an RSA-2048 SIGN/VERIFY key, version 1', async () => {
    const w = await createWitness('release');
    witnessId = w.id;
    const got = (await call('GET', `/v1/signature/witnesses/${witnessId}`)).json() as unknown as {
      keySpec: string;
      purpose: string;
      currentVersion: number;
      versions: { version: number; status: string }[];
    };
    expect(got).toMatchObject({ keySpec: 'RSA_2048', purpose: 'SIGN/VERIFY', currentVersion: 1 });
    expect(got.versions).toMatchObject([{ version: 1, status: 'enabled' }]);
    const dup = await call('POST', '/v1/signature/witnesses', { name: 'release' });
    expect(dup.status).toBe(409);
    const res = await ctx.request('GET', `/v1/signature/witnesses/${witnessId}/public-key`, {
      key: acct.apiKey,
    });
    expect(res.headers.get('content-type')).toMatch(/application\/x-pem-file/);
    pem = await res.text();
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
  });

  it('refuses a tag with 422 telling to sign the digest', async () => {
    const r = await call('POST', '/v1/signature/signatures', {
      image: 'registry.example.com/team/app:1.0',
      witnessId,
    });
    expect(r.status).toBe(422);
    expect(r.json().error).toMatchObject({ code: 'unprocessable' });
    expect(JSON.stringify(r.json())).toMatch(/not pinned by digest.*sign and deploy the digest/);
  });

  it("signs cosign's exact payload with PKCS#1 v1.5 / SHA-256 that crypto.verify accepts under the PEM", async () => {
    const r = await call('POST', '/v1/signature/signatures', { image: IMAGE, witnessId });
    expect(r.status).toBe(201);
    signature = r.json();
    expect(signature.payload).toBe(
      `{"critical":{"identity":{"docker-reference":"registry.example.com/team/app"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`,
    );
    expect(Buffer.from(signature.payloadBase64, 'base64').toString('utf8')).toBe(signature.payload);
    const sig = Buffer.from(signature.signature, 'base64');
    expect(sig).toHaveLength(256);
    expect(verify('sha256', Buffer.from(signature.payload), pem, sig)).toBe(true);
    expect(signature.cosign.attach).toBe(
      `cosign attach signature --payload payload.json --signature ${signature.signature} ${IMAGE}`,
    );
    expect(signature.cosign.verify).toBe(`cosign verify --key witness.pem --insecure-ignore-tlog ${IMAGE}`);
    const exported = (await call('GET', `/v1/signature/signatures/${signature.id}/export`)).json();
    expect(exported).toMatchObject({ payload: signature.payload, signature: signature.signature });
  });

  it('is idempotent per (witness, digest, key version)', async () => {
    const again = await call('POST', '/v1/signature/signatures', { image: IMAGE, witnessId });
    expect(again.status).toBe(200);
    expect(again.json()).toMatchObject({ id: signature.id, signature: signature.signature });
  });

  it('verifies, and denies tampered payload, digest and signature, another key and a tag with the reason', async () => {
    const v = async (body: Record<string, unknown>) =>
      (
        await call('POST', '/v1/signature/verify', { witnessId, image: IMAGE, ...body })
      ).json() as unknown as {
        valid: boolean;
        reason: string;
        keyVersion: number | null;
      };
    expect(await v({})).toMatchObject({ valid: true, keyVersion: 1 });
    expect(await v({ payload: signature.payloadBase64, signature: signature.signature })).toMatchObject({
      valid: true,
    });

    const tamperedPayload = Buffer.from(signature.payload.replace('team/app', 'team/evil')).toString(
      'base64',
    );
    expect(await v({ payload: tamperedPayload, signature: signature.signature })).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/does not verify under any enabled key version of witness "release"/),
    });
    const otherDigest = `sha256:${'cd'.repeat(32)}`;
    expect(await v({ image: `registry.example.com/team/app@${otherDigest}` })).toMatchObject({
      valid: false,
      // Not in Vigil, and the image's registry (which does not exist) could not be asked for cosign signatures.
      reason: expect.stringMatching(
        new RegExp(
          `^no signature by witness "release" for ${otherDigest}; the registry could not be asked for cosign signatures: registry.example.com is unreachable`,
        ),
      ),
      registryUnavailable: true,
    });
    expect(
      await v({
        image: `registry.example.com/team/app@${otherDigest}`,
        payload: signature.payloadBase64,
        signature: signature.signature,
      }),
    ).toMatchObject({ valid: false, reason: `the payload signs digest ${DIGEST}, not ${otherDigest}` });
    const flipped = Buffer.from(signature.signature, 'base64');
    flipped[10] = (flipped[10] ?? 0) ^ 0xff;
    expect(
      await v({ payload: signature.payloadBase64, signature: flipped.toString('base64') }),
    ).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/does not verify/),
    });
    const other = await createWitness('other');
    expect(await v({ witnessId: other.id })).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/no signature by witness "other"/),
    });
    expect(
      await v({ witnessId: other.id, payload: signature.payloadBase64, signature: signature.signature }),
    ).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/does not verify under any enabled key version of witness "other"/),
    });
    expect(await v({ image: 'registry.example.com/team/app:1.0' })).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/tag "1.0" could not be resolved: registry.example.com is unreachable/),
    });
  });

  it('rotation keeps old signatures valid until the old version is disabled', async () => {
    const rotated = (await call('POST', `/v1/signature/witnesses/${witnessId}/rotate`)).json() as unknown as {
      currentVersion: number;
      versions: { version: number; current: boolean }[];
    };
    expect(rotated.currentVersion).toBe(2);
    const v2 = (
      await call('POST', '/v1/signature/signatures', { image: IMAGE, witnessId })
    ).json() as unknown as {
      keyVersion: number;
      signature: string;
      payload: string;
    };
    expect(v2.keyVersion).toBe(2);
    const pem2 = (await call('GET', `/v1/signature/witnesses/${witnessId}/public-key`)).text;
    expect(verify('sha256', Buffer.from(v2.payload), pem2, Buffer.from(v2.signature, 'base64'))).toBe(true);
    // The version-1 signature is still valid after rotation...
    const verifyOld = async () =>
      (
        await call('POST', '/v1/signature/verify', {
          witnessId,
          image: IMAGE,
          payload: signature.payloadBase64,
          signature: signature.signature,
        })
      ).json();
    expect(await verifyOld()).toMatchObject({ valid: true, keyVersion: 1 });
    // ...until version 1 is disabled.
    const disabled = await call('POST', `/v1/signature/witnesses/${witnessId}/versions/1/disable`);
    expect(disabled.status).toBe(200);
    expect(disabled.json()).toMatchObject({ revocationWorkflowId: `signature-revocation:${witnessId}:1` });
    expect(await verifyOld()).toMatchObject({ valid: false });
    const stored = (await call('POST', '/v1/signature/verify', { witnessId, image: IMAGE })).json();
    expect(stored).toMatchObject({ valid: true, keyVersion: 2 });
  });

  it('a disabled key version is named in the reason and signs nothing more', async () => {
    await call('POST', `/v1/signature/witnesses/${witnessId}/versions/2/disable`);
    const r = (await call('POST', '/v1/signature/verify', { witnessId, image: IMAGE })).json() as unknown as {
      valid: boolean;
      reason: string;
    };
    expect(r.valid).toBe(false);
    expect(r.reason).toMatch(/key version 1 of witness "release", which is disabled/);
    expect(r.reason).toMatch(/key version 2 of witness "release", which is disabled/);
    const s = await call('POST', '/v1/signature/signatures', {
      image: `registry.example.com/team/x@${DIGEST}`,
      witnessId,
    });
    expect(s.status).toBe(422);
  });

  it('keeps private keys sealed: none in responses, audit rows or log lines', async () => {
    const rows = await ctx.services.db
      .select()
      .from(signatureKeyVersions)
      .where(eq(signatureKeyVersions.accountId, acct.accountId));
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const secrets: string[] = [];
    for (const row of rows) {
      expect(row.sealedPrivateKey).toMatch(/^v1\./);
      expect(row.sealedPrivateKey).not.toMatch(/PRIVATE KEY/);
      const pemText = ctx.services.secrets.openText(
        row.sealedPrivateKey ?? '',
        privateKeyAad(row.witnessId, row.version),
      );
      expect(pemText).toMatch(/BEGIN PRIVATE KEY/);
      // Every 64-character base64 line of the PKCS#8 body is key material.
      secrets.push(...pemText.split('\n').filter((l) => l.length === 64));
      expect(() =>
        ctx.services.secrets.open(row.sealedPrivateKey ?? '', privateKeyAad(row.witnessId, row.version + 1)),
      ).toThrow();
    }
    const audit = JSON.stringify(
      await ctx.services.db.select().from(auditLog).where(eq(auditLog.accountId, acct.accountId)),
    );
    expect(audit).toContain('signature.witness.create');
    const haystacks = { responses: bodies.join('\n'), audit, logs: logLines.join('') };
    expect(logLines.length).toBeGreaterThan(0);
    for (const [where, text] of Object.entries(haystacks)) {
      expect(text, where).not.toMatch(/PRIVATE KEY/);
      for (const s of secrets) expect(text.includes(s), `${where} holds key material`).toBe(false);
      expect(text.includes('sealedPrivateKey') || text.includes('sealed_private_key'), where).toBe(false);
    }
  });

  it("another account's witness is a 404", async () => {
    const other = await ctx.createAccount('intruder');
    const r = await call('GET', `/v1/signature/witnesses/${witnessId}`, undefined, other.apiKey);
    expect(r.status).toBe(404);
    const s = await call('POST', '/v1/signature/signatures', { image: IMAGE, witnessId }, other.apiKey);
    expect(s.status).toBe(404);
  });
});
