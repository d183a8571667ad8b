import type { TestContext } from '../test/harness.js';

/** A console session signed in with an API key through the sign-in form, for tests that use `app.request`. */
export interface ConsoleTestSession {
  get(path: string): Promise<Response>;
  /** A form post with the session's CSRF token. */
  post(path: string, fields: [string, string][] | Record<string, string>): Promise<Response>;
}

function cookieValue(res: Response, name: string): string {
  for (const line of res.headers.getSetCookie()) {
    const [pair = ''] = line.split(';');
    const at = pair.indexOf('=');
    if (pair.slice(0, at).trim() === name) return pair.slice(at + 1);
  }
  return '';
}

export async function consoleSession(
  ctx: TestContext,
  key: string,
  lang: 'en' | 'zh-CN' = 'en',
): Promise<ConsoleTestSession> {
  const pre = cookieValue(await ctx.app.request('/console/sign-in'), 'vigil_presession');
  const signedIn = await ctx.app.request('/console/sign-in', {
    method: 'POST',
    headers: { cookie: `vigil_presession=${pre}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: pre, apiKey: key }).toString(),
  });
  const cookie = `vigil_session=${cookieValue(signedIn, 'vigil_session')}; vigil_lang=${lang}`;
  const home = await (await ctx.app.request('/console', { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(home)?.[1] ?? '';
  return {
    get: async (path) => ctx.app.request(path, { headers: { cookie } }),
    post: async (path, fields) =>
      ctx.app.request(path, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams([
          ['_csrf', csrf],
          ...(Array.isArray(fields) ? fields : Object.entries(fields)),
        ]).toString(),
      }),
  };
}
