import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../domain/ids.js';
import { createTestContext, type TestAccount, type TestContext } from './harness.js';
import { seedTenant } from './tenancy-seed.js';

let ctx: TestContext;
let a: TestAccount;
let b: TestAccount;

interface RouteDef {
  method: string;
  path: string;
  security?: unknown[];
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

function routes(): RouteDef[] {
  return ctx.app.openAPIRegistry.definitions
    .filter((d): d is Extract<typeof d, { type: 'route' }> => d.type === 'route')
    .map((d) => ({ method: d.route.method, path: d.route.path, security: d.route.security }))
    .filter((r) => (r.security ?? []).some((s) => typeof s === 'object' && s !== null && 'bearer' in s));
}

const fill = (path: string, id: string) => path.replace(/\{[^}]+\}/g, id);

beforeAll(async () => {
  ctx = await createTestContext();
  a = await ctx.createAccount('Tenant A');
  b = await ctx.createAccount('Tenant B');
  await seedTenant(ctx, a.apiKey);
});
afterAll(() => ctx.close());

describe('tenancy: another account is a 404, never a leak', () => {
  let ownedByA: string[] = [];

  async function visibleIds(key: string): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const r of routes().filter((r) => r.method === 'get' && !r.path.includes('{'))) {
      const res = await ctx.request('GET', r.path, { key });
      for (const m of (await res.text()).match(UUID) ?? []) ids.add(m);
    }
    return ids;
  }

  it('collects the ids only tenant A can see', async () => {
    const ids = await visibleIds(a.apiKey);
    // System objects (the Policy Center template) are everyone's; what B sees on its own is not A's.
    for (const shared of await visibleIds(b.apiKey)) ids.delete(shared);
    ids.delete(a.accountId);
    ownedByA = [...ids];
    expect(ownedByA.length).toBeGreaterThan(5);
  });

  it('lists of tenant B never contain an id of tenant A', async () => {
    for (const r of routes().filter((r) => r.method === 'get' && !r.path.includes('{'))) {
      const text = await (await ctx.request('GET', r.path, { key: b.apiKey })).text();
      const leaked = ownedByA.filter((id) => text.includes(id));
      expect(leaked, `${r.method.toUpperCase()} ${r.path}`).toEqual([]);
    }
  });

  it("every route with an id answers tenant B for tenant A's ids exactly as for ids that do not exist", async () => {
    const withIds = routes().filter((r) => r.path.includes('{'));
    expect(withIds.length).toBeGreaterThan(3);
    for (const r of withIds) {
      const method = r.method.toUpperCase();
      const body = ['POST', 'PUT', 'PATCH'].includes(method) ? {} : undefined;
      const missing = await ctx.request(method, fill(r.path, uuidv7()), { key: b.apiKey, body });
      const missingBody = (await missing.json()) as { error?: { code: string } };
      for (const id of ownedByA) {
        const res = await ctx.request(method, fill(r.path, id), { key: b.apiKey, body });
        const got = (await res.json()) as { error?: { code: string } };
        expect({ route: `${method} ${r.path}`, status: res.status, code: got.error?.code }).toEqual({
          route: `${method} ${r.path}`,
          status: missing.status,
          code: missingBody.error?.code,
        });
        expect(res.status, `${method} ${r.path}`).toBeGreaterThanOrEqual(400);
      }
    }
  }, 600_000);
});
