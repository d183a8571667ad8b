import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, createTestContext, type TestAccount, type TestContext } from '../test/harness.js';

/**
 * Hardening issue, item 1: an Idempotency-Key replay is authorised like a first call and scoped to the API key and
 * route that made it; responses with one-time secrets are never stored in clear.
 */
let ctx: TestContext;
let acct: TestAccount;
const keys: Record<'viewer' | 'operator' | 'admin', string> = { viewer: '', operator: '', admin: '' };

beforeAll(async () => {
  ctx = await createTestContext({ env: { VIGIL_RATE_LIMIT_PER_MINUTE: '100000' } });
  acct = await ctx.createAccount();
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    const res = await ctx.request('POST', '/v1/api-keys', { key: acct.apiKey, body: { name: role, role } });
    keys[role] = (await body<{ key: string }>(res)).key;
  }
  const dir = await ctx.request('POST', '/v1/resource-directory', {
    key: acct.apiKey,
    body: { name: 'idem directory' },
  });
  expect(dir.status).toBe(201);
});
afterAll(() => ctx.close());

interface SecretRoute {
  name: string;
  /** Least role allowed to call it; every weaker role is tried. */
  role: 'operator' | 'admin';
  path: () => Promise<string>;
  body: unknown;
  /** The one-time secret in the first response. */
  secret: (res: Record<string, unknown>) => string;
}

let clusterId = '';
const secretRoutes: SecretRoute[] = [
  {
    name: 'new API key',
    role: 'admin',
    path: async () => '/v1/api-keys',
    body: { name: 'escalated', role: 'admin' },
    secret: (r) => String(r.key),
  },
  {
    name: 'cluster token',
    role: 'admin',
    path: async () => '/v1/clusters',
    body: { name: 'prod-cluster' },
    secret: (r) => {
      clusterId = String(r.id);
      return String(r.token);
    },
  },
  {
    name: 'rotated cluster token',
    role: 'admin',
    path: async () => `/v1/clusters/${clusterId}/token`,
    body: undefined,
    secret: (r) => String(r.token),
  },
  {
    name: 'enrollment token',
    role: 'operator',
    path: async () => '/v1/agent-enrollment-tokens',
    body: { description: 'fleet' },
    secret: (r) => String(r.token),
  },
  {
    name: "member account's admin key",
    role: 'admin',
    path: async () => '/v1/resource-directory/accounts',
    body: { name: 'member via idem' },
    secret: (r) => String(r.adminKey),
  },
];

const weaker = (role: 'operator' | 'admin') =>
  role === 'admin' ? (['viewer', 'operator'] as const) : (['viewer'] as const);

describe('Idempotency-Key replay', () => {
  for (const route of secretRoutes) {
    it(`never hands the ${route.name} to a weaker role replaying the request`, async () => {
      const path = await route.path();
      const headers = { 'idempotency-key': `secret-${route.name.replace(/\W+/g, '-')}` };
      const first = await ctx.request('POST', path, { key: keys.admin, headers, body: route.body });
      expect(first.status).toBeLessThan(300);
      const secret = route.secret(await body<Record<string, unknown>>(first));
      expect(secret.length).toBeGreaterThan(10);

      for (const role of weaker(route.role)) {
        const replay = await ctx.request('POST', path, { key: keys[role], headers, body: route.body });
        expect(replay.status, `${role} replaying ${path}`).toBe(403);
        expect(replay.headers.get('idempotent-replayed')).toBeNull();
        expect(await replay.text()).not.toContain(secret);
      }

      // The same caller's retry is still replayed, with the same secret.
      const again = await ctx.request('POST', path, { key: keys.admin, headers, body: route.body });
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(route.secret(await body<Record<string, unknown>>(again))).toBe(secret);

      // Nothing in the replay store shows the secret in clear.
      const stored = await ctx.services.db.execute(
        sql`select coalesce(response_sealed, '') as sealed from idempotency_keys where key = ${headers['idempotency-key']}`,
      );
      expect(JSON.stringify(stored)).not.toContain(secret);
    });
  }

  it('scopes a key to the API key that used it: another key with the same role gets its own result', async () => {
    const other = await ctx.request('POST', '/v1/api-keys', {
      key: acct.apiKey,
      body: { name: 'second admin', role: 'admin' },
    });
    const secondAdmin = (await body<{ key: string }>(other)).key;
    const headers = { 'idempotency-key': 'shared-key-between-admins' };
    const request = { headers, body: { name: 'group-per-key' } };
    const first = await ctx.request('POST', '/v1/asset-groups', { key: keys.admin, ...request });
    expect(first.status).toBe(201);
    const second = await ctx.request('POST', '/v1/asset-groups', { key: secondAdmin, ...request });
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(second.status).toBe(409); // A real second attempt: the group name is taken.
  });

  it('scopes a key to the route: the same key on another route is a new request', async () => {
    const headers = { 'idempotency-key': 'one-key-two-routes' };
    const group = await ctx.request('POST', '/v1/asset-groups', {
      key: keys.operator,
      headers,
      body: { name: 'route-scope' },
    });
    expect(group.status).toBe(201);
    const token = await ctx.request('POST', '/v1/agent-enrollment-tokens', {
      key: keys.operator,
      headers,
      body: {},
    });
    expect(token.status).toBe(201);
    expect(token.headers.get('idempotent-replayed')).toBeNull();
    expect(await body<{ token?: string }>(token)).toHaveProperty('token');
  });
});
