import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../../db/schema/audit.js';
import { uuidv7 } from '../../../domain/ids.js';
import { body, createTestContext, type TestAccount, type TestContext } from '../../../test/harness.js';

let ctx: TestContext;
let acct: TestAccount;
let operatorKey: string;

beforeAll(async () => {
  ctx = await createTestContext();
  acct = await ctx.createAccount();
  const res = await ctx.request('POST', '/v1/api-keys', {
    key: acct.apiKey,
    body: { name: 'ops', role: 'operator' },
  });
  operatorKey = (await body<{ key: string }>(res)).key;
});
afterAll(() => ctx?.close());

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('who may change what is trusted', () => {
  it('keeps witnesses, signature policies and member settings to admins; an operator gets 403 and writes nothing', async () => {
    const witness = await body<{ id: string }>(
      await ctx.request('POST', '/v1/signature/witnesses', { key: acct.apiKey, body: { name: 'release' } }),
    );
    const cluster = await body<{ id: string }>(
      await ctx.request('POST', '/v1/clusters', { key: acct.apiKey, body: { name: 'prod' } }),
    );
    const policyBody = {
      name: 'prod images',
      witnessId: witness.id,
      clusterId: cluster.id,
      namespaces: ['default'],
      enabled: true,
      mode: 'enforce',
      description: '',
    };
    const policyRes = await ctx.request('POST', '/v1/signature/policies', {
      key: acct.apiKey,
      body: policyBody,
    });
    expect(policyRes.status).toBe(201);
    const policy = await body<{ id: string }>(policyRes);
    const audits = async () =>
      (
        await ctx.services.db
          .select({ n: count() })
          .from(auditLog)
          .where(eq(auditLog.accountId, acct.accountId))
      )[0]?.n;
    const before = await audits();

    const refused: [string, string, unknown][] = [
      ['POST', '/v1/signature/witnesses', { name: 'sneaky' }],
      ['POST', `/v1/signature/witnesses/${witness.id}/rotate`, undefined],
      ['POST', `/v1/signature/witnesses/${witness.id}/versions/1/disable`, undefined],
      ['POST', `/v1/signature/witnesses/${witness.id}/disable`, undefined],
      ['POST', '/v1/signature/policies', { ...policyBody, name: 'sneaky' }],
      ['PATCH', `/v1/signature/policies/${policy.id}`, { enabled: false }],
      ['DELETE', `/v1/signature/policies/${policy.id}`, undefined],
      ['PUT', `/v1/multi-account/members/${uuidv7()}/settings`, {}],
    ];
    for (const [method, path, payload] of refused) {
      const res = await ctx.request(method, path, { key: operatorKey, body: payload });
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 403 });
    }
    expect(await audits()).toBe(before);
  });

  it('lets an operator sign a digest with a witness an admin made', async () => {
    const witness = await body<{ id: string }>(
      await ctx.request('POST', '/v1/signature/witnesses', { key: acct.apiKey, body: { name: 'ci' } }),
    );
    const signed = await ctx.request('POST', '/v1/signature/signatures', {
      key: operatorKey,
      body: { image: `registry.example.com/shop/web@${DIGEST}`, witnessId: witness.id },
    });
    expect(signed.status).toBe(201);
  });
});
