import { count, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog } from '../db/schema/audit.js';
import { accounts, apiKeys } from '../db/schema/accounts.js';
import { signatureClusters, signatureWitnesses } from '../db/schema/signature.js';
import { assets } from '../db/schema/inventory.js';
import { uuidv7 } from '../domain/ids.js';
import { INT32_MAX, MAX_JSON_DEPTH } from '../domain/input-rules.js';
import { body, type ErrorEnvelope } from '../test/harness.js';
import { contractSuite } from '../test/contract.js';
import { isDataException } from './errors.js';

const s = contractSuite({ acct: 'Test account' });

const auditRows = async () =>
  (
    await s.ctx.services.db
      .select({ n: count() })
      .from(auditLog)
      .where(eq(auditLog.accountId, s.acct.accountId))
  )[0]?.n ?? 0;

async function expectRefused(res: Response, where: { in: string; path: string }, status = 400) {
  expect(res.status).toBe(status);
  const err = await body<ErrorEnvelope>(res);
  expect(err.error.code).toBe('bad_request');
  expect(err.error.details).toEqual([expect.objectContaining(where)]);
  expect(err.error.message).toContain(where.path);
}

describe('the NUL rule', () => {
  it('refuses a NUL in a JSON body with 400 naming the field, and writes nothing', async () => {
    const audits = await auditRows();
    const res = await s.ctx.request('POST', '/v1/signature/witnesses', {
      key: s.acct.apiKey,
      body: { name: 'ab\u0000cd' },
    });
    await expectRefused(res, { in: 'body', path: 'name' });
    const witnesses = await s.ctx.services.db
      .select({ n: count() })
      .from(signatureWitnesses)
      .where(eq(signatureWitnesses.accountId, s.acct.accountId));
    expect(witnesses[0]?.n).toBe(0);
    expect(await auditRows()).toBe(audits);
  });

  it('names a nested field and an object key holding a NUL', async () => {
    const host = { name: 'web-1', hostname: 'web-1.example', osFamily: 'linux', ips: ['10.0.0.1'] };
    const nested = await s.ctx.request('POST', '/v1/assets', {
      key: s.acct.apiKey,
      body: { assets: [host, { ...host, name: 'web-2', osVersion: 'Ubuntu\u000022.04' }] },
    });
    await expectRefused(nested, { in: 'body', path: 'assets.1.osVersion' });
    const key = await s.ctx.request('POST', '/v1/assets', {
      key: s.acct.apiKey,
      body: { assets: [host], ['x\u0000y']: 1 },
    });
    await expectRefused(key, { in: 'body', path: 'x\\u0000y' });
    const stored = await s.ctx.services.db
      .select({ n: count() })
      .from(assets)
      .where(eq(assets.accountId, s.acct.accountId));
    expect(stored[0]?.n).toBe(0);
  });

  it('refuses a NUL in a query parameter (search, audit-log action) with 400 naming it', async () => {
    await expectRefused(await s.ctx.request('GET', '/v1/assets?search=ab%00cd', { key: s.acct.apiKey }), {
      in: 'query',
      path: 'search',
    });
    await expectRefused(
      await s.ctx.request('GET', '/v1/audit-log?action=api_key.create%00', { key: s.acct.apiKey }),
      {
        in: 'query',
        path: 'action',
      },
    );
  });

  it('refuses a NUL in a path parameter with 400 naming it', async () => {
    await expectRefused(
      await s.ctx.request('GET', '/v1/clusters/ab%00cd/webhook-config', { key: s.acct.apiKey }),
      {
        in: 'path',
        path: 'id',
      },
    );
  });

  it('accepts the text "\\u0000" spelled out (an escaped backslash is no NUL)', async () => {
    const res = await s.ctx.request('POST', '/v1/signature/witnesses', {
      key: s.acct.apiKey,
      body: { name: 'literal \\u0000 text' },
    });
    expect(res.status).toBe(201);
    expect((await body<{ name: string }>(res)).name).toBe('literal \\u0000 text');
  });
});

describe('names refuse control characters', () => {
  it('refuses a line break or a bell in a cluster name and stores no cluster', async () => {
    for (const name of ['prod\n---\nkind: Namespace', 'prod\u0007', 'prod\u007f']) {
      const res = await s.ctx.request('POST', '/v1/clusters', { key: s.acct.apiKey, body: { name } });
      expect(res.status).toBe(400);
      expect(JSON.stringify(await body<ErrorEnvelope>(res))).toContain('control characters');
    }
    const clusters = await s.ctx.services.db
      .select({ n: count() })
      .from(signatureClusters)
      .where(eq(signatureClusters.accountId, s.acct.accountId));
    expect(clusters[0]?.n).toBe(0);
  });

  it('renders a name stored before the rule as one YAML document', async () => {
    const res = await s.ctx.request('POST', '/v1/clusters', { key: s.acct.apiKey, body: { name: 'legacy' } });
    const { id } = await body<{ id: string }>(res);
    await s.ctx.services.db
      .update(signatureClusters)
      .set({ name: 'legacy\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: pwned}' })
      .where(eq(signatureClusters.id, id));
    const yaml = await s.ctx.request('GET', `/v1/clusters/${id}/webhook-config`, { key: s.acct.apiKey });
    expect(yaml.status).toBe(200);
    const { parseAllDocuments } = await import('yaml');
    const docs = parseAllDocuments(await yaml.text());
    expect(docs).toHaveLength(1);
    expect(docs[0]?.errors).toEqual([]);
    expect(docs[0]?.toJS()).toMatchObject({ kind: 'ValidatingWebhookConfiguration' });
  });
});

describe('JSON depth and size', () => {
  it('refuses a body nested 100,000 levels deep with 400 (no stack overflow)', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const res = await s.ctx.request('POST', '/v1/signature/witnesses', { key: s.acct.apiKey, body: deep });
    expect(res.status).toBe(400);
    expect((await body<ErrorEnvelope>(res)).error.message).toContain(`deeper than ${MAX_JSON_DEPTH}`);
    const objects = '{"a":'.repeat(MAX_JSON_DEPTH + 1) + '1' + '}'.repeat(MAX_JSON_DEPTH + 1);
    const justOver = await s.ctx.request('POST', '/v1/signature/witnesses', {
      key: s.acct.apiKey,
      body: objects,
    });
    expect(justOver.status).toBe(400);
  });

  it('lets a body at the depth limit through to the schema (400 from validation, not the depth rule)', async () => {
    const atLimit = `{"name":"w","description":"d","x":${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}}`;
    const res = await s.ctx.request('POST', '/v1/signature/witnesses', { key: s.acct.apiKey, body: atLimit });
    expect(res.status).toBe(400);
    expect((await body<ErrorEnvelope>(res)).error.message).toBe('the request does not match the schema');
  });

  it('refuses a body over the size limit with 413', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(s.ctx.config.VIGIL_MAX_BODY_BYTES) });
    const res = await s.ctx.request('POST', '/v1/signature/witnesses', {
      key: s.acct.apiKey,
      body: big,
      headers: { 'content-length': String(Buffer.byteLength(big)) },
    });
    expect(res.status).toBe(413);
  });
});

describe('integers fit their columns', () => {
  it('refuses a key version beyond int32 with 400, not a database error', async () => {
    const res = await s.ctx.request(
      'GET',
      `/v1/signature/witnesses/${uuidv7()}/public-key?version=${INT32_MAX + 1}`,
      {
        key: s.acct.apiKey,
      },
    );
    expect(res.status).toBe(400);
  });

  it('maps a value the database refuses (SQLSTATE class 22) to a data exception', async () => {
    const err = await s.ctx.services.db
      .execute(sql`select ${String(INT32_MAX + 1)}::int`)
      .catch((e: unknown) => e);
    expect(isDataException(err)).toBe(true);
    const other = await s.ctx.services.db.execute(sql`select * from no_such_table`).catch((e: unknown) => e);
    expect(isDataException(other)).toBe(false);
  });
});

describe('instants fit their columns', () => {
  it('refuses a finding dated 1 BC in Postgres (found by fuzzing: the list then failed with 500)', async () => {
    const finding = (occurredAt: string) => ({
      items: [{ externalId: 'odd-clock', name: 'odd clock', severity: 'low', occurredAt }],
    });
    const refused = await s.ctx.request('POST', '/v1/alerts', {
      key: s.acct.apiKey,
      body: finding('0001-01-01T00:00:00+14:00'),
    });
    expect(refused.status).toBe(400);
    expect((await body<ErrorEnvelope>(refused)).error.details).toEqual([
      expect.objectContaining({ path: 'items.0.occurredAt' }),
    ]);
    expect((await s.ctx.request('GET', '/v1/alerts', { key: s.acct.apiKey })).status).toBe(200);
  });
});

describe('PATCH /v1/account', () => {
  it('answers {} and an empty body without a 500, changing nothing and auditing nothing', async () => {
    const audits = await auditRows();
    const empty = await s.ctx.request('PATCH', '/v1/account', { key: s.acct.apiKey, body: {} });
    expect(empty.status).toBe(200);
    expect((await body<{ id: string }>(empty)).id).toBe(s.acct.accountId);
    const noBody = await s.ctx.app.request('/v1/account', {
      method: 'PATCH',
      headers: { authorization: `Bearer ${s.acct.apiKey}` },
    });
    expect(noBody.status).toBeLessThan(500);
    const emptyJson = await s.ctx.request('PATCH', '/v1/account', { key: s.acct.apiKey, body: '' });
    expect(emptyJson.status).toBe(400);
    expect(await auditRows()).toBe(audits);
    const [row] = await s.ctx.services.db.select().from(accounts).where(eq(accounts.id, s.acct.accountId));
    expect(row?.name).toBe('Test account');
  });
});

describe('the last admin key', () => {
  it('cannot be revoked (409) while a second admin key can, and the account keeps working', async () => {
    const other = await s.ctx.createAccount('Lonely admin');
    const [self] = await s.ctx.services.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.accountId, other.accountId));
    if (!self) throw new Error('the account has no key');
    const last = await s.ctx.request('DELETE', `/v1/api-keys/${self.id}`, { key: other.apiKey });
    expect(last.status).toBe(409);
    expect((await body<ErrorEnvelope>(last)).error.message).toContain('last active admin key');
    expect((await s.ctx.request('GET', '/v1/account', { key: other.apiKey })).status).toBe(200);

    const created = await s.ctx.request('POST', '/v1/api-keys', {
      key: other.apiKey,
      body: { name: 'second admin', role: 'admin' },
    });
    const second = await body<{ id: string; key: string }>(created);
    // An operator key does not count as an admin.
    await s.ctx.request('POST', '/v1/api-keys', {
      key: other.apiKey,
      body: { name: 'ops', role: 'operator' },
    });
    const first = await s.ctx.request('DELETE', `/v1/api-keys/${self.id}`, { key: second.key });
    expect(first.status).toBe(200);
    const lastAgain = await s.ctx.request('DELETE', `/v1/api-keys/${second.id}`, { key: second.key });
    expect(lastAgain.status).toBe(409);
    expect((await s.ctx.request('GET', '/v1/account', { key: second.key })).status).toBe(200);
  });
});

describe('the agent result route answers 4xx for what can never be stored', () => {
  it('404 for an unknown job, 400 for an exit code beyond int32 or a NUL in the output', async () => {
    const tokenRes = await s.ctx.request('POST', '/v1/agent-enrollment-tokens', {
      key: s.acct.apiKey,
      body: {},
    });
    const { token } = await body<{ token: string }>(tokenRes);
    const registered = await s.ctx.request('POST', '/agent/v1/register', {
      body: { enrollmentToken: token, hostname: 'agent-host', osFamily: 'linux', executor: 'simulate' },
    });
    expect(registered.status).toBe(201);
    const { agentToken } = await body<{ agentToken: string }>(registered);
    const result = (jobId: string, payload: Record<string, unknown>) =>
      s.ctx.request('POST', `/agent/v1/jobs/${jobId}/result`, { key: agentToken, body: payload });
    const ok = { status: 'succeeded', exitCode: 0, output: 'done' };

    const unknown = await result(uuidv7(), ok);
    expect(unknown.status).toBe(404);
    const tooBig = await result(uuidv7(), { ...ok, exitCode: INT32_MAX + 1 });
    expect(tooBig.status).toBe(400);
    expect(JSON.stringify(await body<ErrorEnvelope>(tooBig))).toContain('exitCode');
    await expectRefused(await result(uuidv7(), { ...ok, output: 'a\u0000b' }), {
      in: 'body',
      path: 'output',
    });
    await expectRefused(await result(uuidv7(), { ...ok, details: { 'k\u0000': 1 } }), {
      in: 'body',
      path: 'details.k\\u0000',
    });
  });
});

describe('every API-key route follows the input rule (walks the OpenAPI registry)', () => {
  const routes = () =>
    s.ctx.app.openAPIRegistry.definitions
      .filter((d): d is Extract<typeof d, { type: 'route' }> => d.type === 'route')
      .map((d) => ({ method: d.route.method.toUpperCase(), path: d.route.path, security: d.route.security }))
      .filter((r) => (r.security ?? []).some((s) => typeof s === 'object' && s !== null && 'bearer' in s));

  it('answers a NUL in the path, the query or the body with 400 naming it, never a 500', async () => {
    const all = routes();
    expect(all.length).toBeGreaterThan(50);
    const audits = await auditRows();
    for (const r of all) {
      const where = `${r.method} ${r.path}`;
      const filled = r.path.replace(/\{[^}]+\}/g, uuidv7());
      const inQuery = await s.ctx.request(r.method, `${filled}?search=a%00b`, { key: s.acct.apiKey });
      expect({ where, status: inQuery.status }).toEqual({ where, status: 400 });
      expect((await body<ErrorEnvelope>(inQuery)).error.details).toEqual([
        expect.objectContaining({ in: 'query', path: 'search' }),
      ]);
      if (r.path.includes('{')) {
        const inPath = await s.ctx.request(r.method, r.path.replace(/\{[^}]+\}/g, 'a%00b'), {
          key: s.acct.apiKey,
        });
        expect({ where, status: inPath.status }).toEqual({ where, status: 400 });
      }
      if (r.method !== 'GET') {
        const inBody = await s.ctx.request(r.method, filled, {
          key: s.acct.apiKey,
          body: { name: 'a\u0000b' },
        });
        expect({ where, status: inBody.status }).toEqual({ where, status: 400 });
        expect((await body<ErrorEnvelope>(inBody)).error.details).toEqual([
          expect.objectContaining({ in: 'body', path: 'name' }),
        ]);
      }
    }
    expect(await auditRows()).toBe(audits);
  });
});
