import { createPublicKey, verify } from 'node:crypto';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureKeyVersions } from '../../db/schema/signature.js';
import { createTestContext, type TestAccount, type TestContext } from '../../test/harness.js';
import { startMotoServer, type MotoServer } from '../../test/moto.js';
import { freePort } from '../../test/registry.js';
import { createAwsKms } from './aws-kms.js';

let moto: MotoServer;
let ctx: TestContext;
let acct: TestAccount;
const IMAGE = `registry.example.com/team/app@sha256:${'ab'.repeat(32)}`;

async function call(method: string, p: string, body?: unknown, c: TestContext = ctx, key = acct.apiKey) {
  const res = await c.request(method, p, { key, body });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

beforeAll(async () => {
  // The SDK's default credential chain reads these; moto accepts any.
  process.env.AWS_ACCESS_KEY_ID = 'vigil-test';
  process.env.AWS_SECRET_ACCESS_KEY = 'vigil-test';
  moto = await startMotoServer();
  ctx = await createTestContext({ env: { VIGIL_AWS_KMS_ENDPOINT: moto.endpoint } });
  acct = await ctx.createAccount('kms');
});
afterAll(async () => {
  await ctx?.close();
  await moto?.stop();
});

async function publicKey(witnessId: string, version = 1) {
  const res = await ctx.request('GET', `/v1/signature/witnesses/${witnessId}/public-key?version=${version}`, {
    key: acct.apiKey,
  });
  return res.text();
}

describe('AWS KMS key provider (against a local moto KMS)', () => {
  it('creates an RSA_2048 SIGN_VERIFY key in KMS, stores only its id and public key, and signs through KMS', async () => {
    const w = await call('POST', '/v1/signature/witnesses', { name: 'kms-new', key: { type: 'awsKms' } });
    expect(w.status, JSON.stringify(w.body)).toBe(201);
    expect(w.body).toMatchObject({ provider: 'awsKms', keyOrigin: 'kms', purpose: 'SIGN/VERIFY' });
    const [row] = await ctx.services.db
      .select()
      .from(signatureKeyVersions)
      .where(eq(signatureKeyVersions.witnessId, w.body.id as string));
    expect(row?.sealedPrivateKey).toBeNull();
    expect(row?.kmsKeyId).toMatch(/^(arn:aws:kms:us-east-1:\d+:key\/)?[0-9a-f-]{36}$/);
    expect(createPublicKey(row?.publicKeyPem ?? '').asymmetricKeyDetails?.modulusLength).toBe(2048);

    const signed = await call('POST', '/v1/signature/signatures', {
      image: IMAGE,
      witnessId: w.body.id,
      push: false,
    });
    expect(signed.status, JSON.stringify(signed.body)).toBe(201);
    const pem = await publicKey(w.body.id as string);
    expect(
      verify(
        'sha256',
        Buffer.from(signed.body.payload as string),
        pem,
        Buffer.from(signed.body.signature as string, 'base64'),
      ),
    ).toBe(true);
    const checked = await call('POST', '/v1/signature/verify', { image: IMAGE, witnessId: w.body.id });
    expect(checked.body).toMatchObject({ valid: true, keyVersion: 1 });

    const rotated = await call('POST', `/v1/signature/witnesses/${w.body.id as string}/rotate`);
    expect(rotated.status).toBe(200);
    const rows = await ctx.services.db
      .select()
      .from(signatureKeyVersions)
      .where(eq(signatureKeyVersions.witnessId, w.body.id as string));
    expect(new Set(rows.map((r) => r.kmsKeyId)).size).toBe(2);
  });

  it('uses an existing KMS key by id, and refuses a key that is not RSA_2048 with 422', async () => {
    const kms = new KMSClient({ region: 'us-east-1', endpoint: moto.endpoint });
    const made = await kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }));
    const keyId = made.KeyMetadata?.KeyId ?? '';
    const w = await call('POST', '/v1/signature/witnesses', {
      name: 'kms-existing',
      key: { type: 'awsKms', keyId },
    });
    expect(w.status, JSON.stringify(w.body)).toBe(201);
    const signed = await call('POST', '/v1/signature/signatures', {
      image: IMAGE,
      witnessId: w.body.id,
      push: false,
    });
    expect(signed.status).toBe(201);
    // The witness's public key is the KMS key's own.
    const direct = createAwsKms({ region: 'us-east-1', endpoint: moto.endpoint });
    expect((await direct.publicKey(keyId)).publicKeyPem).toBe(await publicKey(w.body.id as string));

    const ec = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
    const refused = await call('POST', '/v1/signature/witnesses', {
      name: 'kms-ec',
      key: { type: 'awsKms', keyId: ec.KeyMetadata?.KeyId },
    });
    expect(refused.status).toBe(422);
    const unknown = await call('POST', '/v1/signature/witnesses', {
      name: 'kms-unknown',
      key: { type: 'awsKms', keyId: '00000000-0000-0000-0000-000000000000' },
    });
    expect(unknown.status).toBe(422);
    expect(JSON.stringify(unknown.body)).toMatch(/NotFoundException/);
  });

  /** Creates an awsKms witness through a Vigil of its own (a KMS client keeps the credentials it resolved once). */
  async function createKmsWitnessWith(endpoint: string) {
    const own = await createTestContext({ env: { VIGIL_AWS_KMS_ENDPOINT: endpoint } });
    try {
      const a = await own.createAccount('kms-own');
      return await call(
        'POST',
        '/v1/signature/witnesses',
        { name: 'k', key: { type: 'awsKms' } },
        own,
        a.apiKey,
      );
    } finally {
      await own.close();
    }
  }

  it('answers 503 when the KMS cannot be reached', async () => {
    const r = await createKmsWitnessWith(`http://127.0.0.1:${await freePort()}`);
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ error: { code: 'unavailable' } });
  });

  it('answers 422 (not 503) when the deployment has no AWS credentials: retrying later changes nothing', async () => {
    const unset = {
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const before = Object.fromEntries(Object.keys(unset).map((k) => [k, process.env[k]]));
    const apply = (env: Record<string, string | undefined>) => {
      for (const [k, v] of Object.entries(env)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    };
    apply(unset);
    try {
      const r = await createKmsWitnessWith(moto.endpoint);
      expect(r.status).toBe(422);
      expect(JSON.stringify(r.body)).toContain('not configured');
    } finally {
      apply(before);
    }
  });
});
