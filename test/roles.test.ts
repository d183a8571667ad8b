import { readFile } from 'node:fs/promises';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../db/client.js';
import { uuidv7 } from '../domain/ids.js';
import { ROLES, type Role } from '../domain/roles.js';
import { roleTableMarkdown, routeRoles, withRoleTable, type RouteRole } from '../api/role-table.js';
import { body, createTestContext, type TestAccount, type TestContext } from './harness.js';
import { seedTenant } from './tenancy-seed.js';

let ctx: TestContext;
let admin: TestAccount;
const keys = new Map<Role, string>();

/** Every API-key route with its least role, from the OpenAPI registry: a new route is covered without a new line. */
const apiKeyRoutes = (): (RouteRole & { role: Role })[] =>
  routeRoles(ctx.app.openAPIRegistry).filter((r): r is RouteRole & { role: Role } => r.role !== null);

const fill = (path: string) => path.replace(/\{[^}]+\}/g, () => uuidv7());
const bodyFor = (method: string) => (['post', 'put', 'patch'].includes(method) ? {} : undefined);

/**
 * Every row of every table as text, minus `api_keys.last_used_at` (authentication touches it by design): two equal
 * fingerprints mean the requests between them changed nothing.
 */
async function fingerprint(): Promise<Record<string, string>> {
  const { db } = ctx.services;
  const tables = await queryRows<{ name: string }>(
    db,
    sql`select table_name as name from information_schema.tables
        where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
  );
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await queryRows<{ digest: string }>(
      db,
      sql`select count(*) || ':' || md5(coalesce(string_agg(r, ',' order by r), '')) as digest
          from (select (to_jsonb(t) - 'last_used_at')::text as r from ${sql.identifier(name)} t) rows`,
    );
    out[name] = row?.digest ?? '';
  }
  return out;
}

beforeAll(async () => {
  ctx = await createTestContext();
  admin = await ctx.createAccount('Roles');
  await seedTenant(ctx, admin.apiKey);
  keys.set('admin', admin.apiKey);
  for (const role of ['operator', 'viewer'] as const) {
    const res = await ctx.request('POST', '/v1/api-keys', { key: admin.apiKey, body: { name: role, role } });
    expect(res.status).toBe(201);
    keys.set(role, (await body<{ key: string }>(res)).key);
  }
});
afterAll(() => ctx.close());

describe('roles: every route refuses a key below its least role', () => {
  it('the README role table is the one the registry generates (npm run docs:roles)', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const current = withRoleTable(readme, roleTableMarkdown(routeRoles(ctx.app.openAPIRegistry)));
    expect(readme === current, 'README.md role table is out of date: run npm run docs:roles').toBe(true);
  });

  it('a key below the least role gets 403 on every route, and nothing in the database changes', async () => {
    const routes = apiKeyRoutes();
    expect(routes.length).toBeGreaterThan(90);
    const before = await fingerprint();
    let tried = 0;
    for (const r of routes) {
      for (const lower of ROLES.slice(0, ROLES.indexOf(r.role))) {
        const res = await ctx.request(r.method.toUpperCase(), fill(r.path), {
          key: keys.get(lower),
          body: bodyFor(r.method),
          headers: { 'idempotency-key': `roles-${uuidv7()}` },
        });
        const got = { route: `${r.method.toUpperCase()} ${r.path}`, as: lower, status: res.status };
        expect(got).toEqual({ ...got, status: 403 });
        expect((await body<{ error: { code: string } }>(res)).error.code).toBe('forbidden');
        tried += 1;
      }
    }
    // Operator- and admin-only routes exist, so the sweep did try lower keys.
    expect(tried).toBeGreaterThan(40);
    const after = await fingerprint();
    expect(after).toEqual(before);
    // The fingerprint does see a change: one write as admin moves it.
    const write = await ctx.request('POST', '/v1/asset-groups', {
      key: admin.apiKey,
      body: { name: 'moved' },
    });
    expect(write.status).toBe(201);
    expect(await fingerprint()).not.toEqual(after);
  }, 600_000);

  it('a key at the least role gets past the role check on every route', async () => {
    for (const r of apiKeyRoutes()) {
      const res = await ctx.request(r.method.toUpperCase(), fill(r.path), {
        key: keys.get(r.role),
        body: bodyFor(r.method),
      });
      const text = await res.text();
      // Past the role check: a 4xx about the made-up id or the empty body is fine, "needs the … role" is not.
      expect({
        route: `${r.method.toUpperCase()} ${r.path}`,
        as: r.role,
        status: res.status,
        text,
      }).not.toMatchObject({
        status: 403,
      });
    }
  }, 600_000);

  it('no key at all is a 401 on every API-key route', async () => {
    for (const r of apiKeyRoutes()) {
      const res = await ctx.request(r.method.toUpperCase(), fill(r.path), { body: bodyFor(r.method) });
      expect(res.status, `${r.method.toUpperCase()} ${r.path}`).toBe(401);
    }
  }, 600_000);
});
