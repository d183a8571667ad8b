import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../db/schema/accounts.js';
import { consoleSessions } from '../db/schema/console.js';
import { hashToken } from '../platform/secrets.js';
import { IN_PROCESS_CALLER_HEADER } from '../api/middleware/auth.js';
import { createTestContext, type TestAccount, type TestContext } from '../test/harness.js';

let ctx: TestContext;
let account: TestAccount;

beforeAll(async () => {
  ctx = await createTestContext();
  account = await ctx.createAccount('Console');
});
afterAll(async () => {
  await ctx?.close();
});

/** The value of one cookie among a response's Set-Cookie headers, with its attributes. */
function setCookie(res: Response, name: string): { value: string; attrs: string } | null {
  for (const line of res.headers.getSetCookie()) {
    const [pair = '', ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq).trim() === name) return { value: pair.slice(eq + 1), attrs: attrs.join(';') };
  }
  return null;
}

async function signIn(key: string, headers: Record<string, string> = {}): Promise<Response> {
  const page = await ctx.app.request('/console/sign-in', { headers });
  const pre = setCookie(page, 'vigil_presession')?.value ?? '';
  return ctx.app.request('/console/sign-in', {
    method: 'POST',
    headers: {
      ...headers,
      cookie: `vigil_presession=${pre}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ _csrf: pre, apiKey: key }).toString(),
  });
}

async function session(key = account.apiKey) {
  const res = await signIn(key);
  expect(res.status).toBe(303);
  const token = setCookie(res, 'vigil_session')?.value ?? '';
  const page = await ctx.app.request('/console', { headers: { cookie: `vigil_session=${token}` } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  return { token, csrf, cookie: `vigil_session=${token}` };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = 'application/x-www-form-urlencoded';

describe('console sessions', () => {
  it('redirects / to the console and the console to sign-in without a session', async () => {
    expect((await ctx.app.request('/')).headers.get('location')).toBe('/console');
    const res = await ctx.app.request('/console/assets');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/sign-in');
  });

  it('stores only the hash of the session token and sets an HttpOnly, SameSite=Strict cookie', async () => {
    const res = await signIn(account.apiKey);
    const cookie = setCookie(res, 'vigil_session');
    expect(cookie?.attrs).toMatch(/HttpOnly/);
    expect(cookie?.attrs).toMatch(/SameSite=Strict/);
    expect(cookie?.attrs).not.toMatch(/Secure/);
    const rows = await ctx.database.db
      .select()
      .from(consoleSessions)
      .where(eq(consoleSessions.tokenHash, hashToken(cookie?.value ?? '')));
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(cookie?.value);
  });

  it('marks the cookie Secure behind HTTPS', async () => {
    const res = await signIn(account.apiKey, { 'x-forwarded-proto': 'https' });
    expect(setCookie(res, 'vigil_session')?.attrs).toMatch(/Secure/);
  });

  it('refuses a sign-in form without its pre-session token, and a wrong key at the field', async () => {
    const forged = await ctx.app.request('/console/sign-in', {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: form({ apiKey: account.apiKey }),
    });
    expect(forged.status).toBe(403);
    expect(setCookie(forged, 'vigil_session')).toBeNull();
    const wrong = await signIn('vgl_AAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('apiKey-err');
  });

  it('ends a session when it expires, and when its API key is revoked', async () => {
    const s = await session();
    expect((await ctx.app.request('/console', { headers: { cookie: s.cookie } })).status).toBe(200);
    await ctx.database.db
      .update(consoleSessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(consoleSessions.tokenHash, hashToken(s.token)));
    expect((await ctx.app.request('/console', { headers: { cookie: s.cookie } })).status).toBe(303);

    const created = await ctx.request('POST', '/v1/api-keys', {
      key: account.apiKey,
      body: { name: 'short-lived', role: 'operator' },
    });
    const { id, key } = (await created.json()) as { id: string; key: string };
    const t = await session(key);
    expect((await ctx.app.request('/console', { headers: { cookie: t.cookie } })).status).toBe(200);
    await ctx.database.db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, id));
    expect((await ctx.app.request('/console', { headers: { cookie: t.cookie } })).status).toBe(303);
  });

  it('refuses a non-GET without the session’s own CSRF token, and signs out for good with it', async () => {
    const a = await session();
    const b = await session();
    const forged: Record<string, string>[] = [{}, { _csrf: 'nope' }, { _csrf: b.csrf }];
    for (const fields of forged) {
      const res = await ctx.app.request('/console/sign-out', {
        method: 'POST',
        headers: { cookie: a.cookie, 'content-type': FORM },
        body: form(fields),
      });
      expect(res.status).toBe(403);
    }
    const header = await ctx.app.request('/console/sign-out', {
      method: 'POST',
      headers: { cookie: a.cookie, 'x-csrf-token': b.csrf },
    });
    expect(header.status).toBe(403);
    const ok = await ctx.app.request('/console/sign-out', {
      method: 'POST',
      headers: { cookie: a.cookie, 'content-type': FORM },
      body: form({ _csrf: a.csrf }),
    });
    expect(ok.status).toBe(303);
    expect((await ctx.app.request('/console', { headers: { cookie: a.cookie } })).status).toBe(303);
    const audit = await ctx.request('GET', '/v1/audit-log?action=console.sign_out', { key: account.apiKey });
    expect(((await audit.json()) as { items: unknown[] }).items).toHaveLength(1);
  });

  it('lets no network request claim an in-process caller', async () => {
    const res = await ctx.app.request('/v1/account', { headers: { [IN_PROCESS_CALLER_HEADER]: 'guessed' } });
    expect(res.status).toBe(401);
  });

  it('switches language only back into the console (no open redirect)', async () => {
    const res = await ctx.app.request('/console/lang?to=zh-CN&back=//evil.example/console');
    expect(res.headers.get('location')).toBe('/console');
    expect(setCookie(res, 'vigil_lang')?.value).toBe('zh-CN');
    const ok = await ctx.app.request('/console/lang?to=en&back=%2Fconsole%2Freports');
    expect(ok.headers.get('location')).toBe('/console/reports');
  });
});
