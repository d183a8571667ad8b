import { describe, expect, it } from 'vitest';
import { body, createTestContext, type ErrorEnvelope, type Page } from '../test/harness.js';
import { contractSuite } from '../test/contract.js';

const s = contractSuite({ acct: 'Test account' }, { env: { VIGIL_RATE_LIMIT_PER_MINUTE: '100000' } });

const asset = (name: string) => ({ assets: [{ name, hostname: name, ips: [], osFamily: 'linux' }] });

async function newKey(role: 'viewer' | 'operator' | 'admin') {
  const res = await s.ctx.request('POST', '/v1/api-keys', { key: s.acct.apiKey, body: { name: role, role } });
  expect(res.status).toBe(201);
  return body<{ id: string; key: string; prefix: string }>(res);
}

describe('auth and roles', () => {
  it('refuses missing, malformed and unknown keys with 401 and the envelope', async () => {
    const variants: Record<string, string>[] = [
      {},
      { authorization: 'Basic abc' },
      { authorization: 'Bearer vgl_nope' },
    ];
    for (const headers of variants) {
      const res = await s.ctx.request('GET', '/v1/assets', { headers });
      expect(res.status).toBe(401);
      const envelope = await body<ErrorEnvelope>(res);
      expect(envelope.error).toMatchObject({ code: 'unauthorized' });
      expect(envelope.error.requestId).toBe(res.headers.get('x-request-id'));
    }
  });

  it('lets a viewer read but not write, an operator write but not manage keys', async () => {
    const viewer = await newKey('viewer');
    const operator = await newKey('operator');
    expect((await s.ctx.request('GET', '/v1/assets', { key: viewer.key })).status).toBe(200);
    const denied = await s.ctx.request('POST', '/v1/assets', { key: viewer.key, body: asset('v-1') });
    expect(denied.status).toBe(403);
    expect((await body<ErrorEnvelope>(denied)).error.code).toBe('forbidden');
    expect(
      (await s.ctx.request('POST', '/v1/assets', { key: operator.key, body: asset('o-1') })).status,
    ).toBe(200);
    expect(
      (await s.ctx.request('POST', '/v1/api-keys', { key: operator.key, body: { name: 'x', role: 'admin' } }))
        .status,
    ).toBe(403);
  });

  it('never shows a key again after creation, and a revoked key stops working at once', async () => {
    const k = await newKey('operator');
    const list = await (await s.ctx.request('GET', '/v1/api-keys', { key: s.acct.apiKey })).text();
    expect(list).not.toContain(k.key);
    expect(list).toContain(k.prefix);
    expect((await s.ctx.request('GET', '/v1/assets', { key: k.key })).status).toBe(200);
    expect((await s.ctx.request('DELETE', `/v1/api-keys/${k.id}`, { key: s.acct.apiKey })).status).toBe(200);
    expect((await s.ctx.request('GET', '/v1/assets', { key: k.key })).status).toBe(401);
  });
});

describe('idempotency', () => {
  it('replays the first response for a retried POST with the same Idempotency-Key', async () => {
    const headers = { 'idempotency-key': 'create-group-1' };
    const first = await s.ctx.request('POST', '/v1/asset-groups', {
      key: s.acct.apiKey,
      headers,
      body: { name: 'idem' },
    });
    expect(first.status).toBe(201);
    const again = await s.ctx.request('POST', '/v1/asset-groups', {
      key: s.acct.apiKey,
      headers,
      body: { name: 'idem' },
    });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    // Without the key the same request is a real second attempt: the name is taken.
    expect(
      (await s.ctx.request('POST', '/v1/asset-groups', { key: s.acct.apiKey, body: { name: 'idem' } }))
        .status,
    ).toBe(409);
    const reused = await s.ctx.request('POST', '/v1/asset-groups', {
      key: s.acct.apiKey,
      headers,
      body: { name: 'other' },
    });
    expect(reused.status).toBe(422);
  });
});

describe('audit log', () => {
  it('records every mutation with actor and request id', async () => {
    const res = await s.ctx.request('POST', '/v1/asset-groups', {
      key: s.acct.apiKey,
      headers: { 'x-request-id': 'req-audit-1' },
      body: { name: 'audited' },
    });
    const group = await body<{ id: string }>(res);
    const log = await body<Page<{ action: string; requestId: string; actor: string }>>(
      await s.ctx.request('GET', `/v1/audit-log?targetId=${group.id}`, { key: s.acct.apiKey }),
    );
    expect(log.items).toHaveLength(1);
    expect(log.items[0]).toMatchObject({ action: 'asset_group.create', requestId: 'req-audit-1' });
    expect(log.items[0]?.actor).toMatch(/^key:/);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After once a key spends its budget', async () => {
    const limited = await createTestContext({ env: { VIGIL_RATE_LIMIT_PER_MINUTE: '5' } });
    try {
      const a = await limited.createAccount();
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++)
        statuses.push((await limited.request('GET', '/v1/assets', { key: a.apiKey })).status);
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      const res = await limited.request('GET', '/v1/assets', { key: a.apiKey });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await body<ErrorEnvelope>(res)).error.code).toBe('rate_limited');
    } finally {
      await limited.close();
    }
  });
});

describe('health and docs', () => {
  it('serves healthz, readyz, the OpenAPI document and offline docs', async () => {
    expect((await s.ctx.request('GET', '/healthz')).status).toBe(200);
    const ready = await s.ctx.request('GET', '/readyz');
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { database: 'ok', temporal: 'ok' } });
    const spec = await body<{ openapi: string; paths: Record<string, unknown> }>(
      await s.ctx.request('GET', '/openapi.json'),
    );
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toContain('/v1/assets');
    const docs = await (await s.ctx.request('GET', '/docs')).text();
    expect(docs).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    for (const asset of docs.match(/\/docs\/assets\/[\w.-]+/g) ?? []) {
      expect((await s.ctx.request('GET', asset)).status, asset).toBe(200);
    }
    expect((await s.ctx.request('GET', '/nowhere')).status).toBe(404);
  });
});
