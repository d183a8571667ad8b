import type { OpenAPIHono } from '@hono/zod-openapi';
import { Hono, type MiddlewareHandler } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import type { AppEnv, Services } from '../api/context.js';
import { CONSOLE_SESSION_TTL_MS, consoleLanguage } from '../domain/console.js';
import { randomToken } from '../platform/secrets.js';
import { ConsolePageError } from './api-call.js';
import type { ConsoleContext, ConsoleEnv } from './context.js';
import { first, readForm } from './form.js';
import { translator } from './i18n.js';
import { registerAssetPages } from './pages/assets.js';
import { registerOverviewPage } from './pages/overview.js';
import { registerPlaybookPages } from './pages/playbook.js';
import { registerTaskPages } from './pages/tasks.js';
import { registerTaskWizard } from './pages/task-wizard.js';
import { registerReportPages } from './pages/reports.js';
import { registerSignaturePages } from './pages/signature.js';
import { registerDecisionPage } from './pages/signature-decisions.js';
import { registerNotificationPages } from './pages/notifications.js';
import { registerInvitationPages } from './pages/invitations.js';
import { registerAccountPages } from './pages/accounts.js';
import { registerAdminPages } from './pages/admin.js';
import { csrfToken, csrfTokenMatches, findSession, signIn, signOut } from './session.js';
import { STATIC_BY_PATH } from './static/assets.js';
import * as ui from './ui.js';

export const SESSION_COOKIE = 'vigil_session';
const LANG_COOKIE = 'vigil_lang';
/** Before sign-in there is no session to tie a CSRF token to: the sign-in form uses a double-submit cookie. */
const PRE_CSRF_COOKIE = 'vigil_presession';

/** Secure cookies whenever the browser reached Vigil over HTTPS (directly or through a TLS proxy). */
function overHttps(c: ConsoleContext): boolean {
  return (
    new URL(c.req.url).protocol === 'https:' ||
    c.req.header('x-forwarded-proto') === 'https' ||
    c.get('services').publicUrl.startsWith('https:')
  );
}

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

function consoleContext(services: Services, apiFetch: ConsoleEnv['Variables']['apiFetch']) {
  const csrfKey = services.secrets.deriveKey('console-csrf');
  const handler: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
    const lang = consoleLanguage(getCookie(c, LANG_COOKIE), c.req.header('accept-language'));
    c.set('lang', lang);
    c.set('t', translator(lang));
    c.set('apiFetch', apiFetch);
    const session = await findSession(services.db, getCookie(c, SESSION_COOKIE));
    c.set('session', session ?? undefined);
    c.set('csrf', session ? csrfToken(csrfKey, session.token) : '');
    c.header('Content-Security-Policy', CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'same-origin');
    c.header('Cache-Control', 'no-store');
    const path = c.req.path;
    const open = path === '/console/sign-in' || path === '/console/lang';
    if (!session && !open) {
      if (c.req.method === 'GET') return c.redirect('/console/sign-in', 303);
      return c.text('sign in first', 401);
    }
    if (session && c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const given = c.req.header('x-csrf-token') ?? (await formField(c, '_csrf'));
      if (!csrfTokenMatches(csrfKey, session.token, given)) {
        return c.html(
          <ui.Page c={c} title={c.get('t')('errorTitle')}>
            <p class="error" role="alert">
              {c.get('t')('csrfFailed')}
            </p>
          </ui.Page>,
          403,
        );
      }
    }
    await next();
  };
  return handler;
}

async function formField(c: ConsoleContext, name: string): Promise<string | undefined> {
  return (await readForm(c))[name]?.[0];
}

function signInPage(c: ConsoleContext, failed: boolean, status: 200 | 401 = 200) {
  const t = c.get('t');
  const pre = randomToken(32);
  setCookie(c, PRE_CSRF_COOKIE, pre, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: overHttps(c),
    path: '/console/sign-in',
    maxAge: 3600,
  });
  return c.html(
    <ui.Page c={c} title={t('signInTitle')}>
      <form method="post" action="/console/sign-in" class="card">
        <input type="hidden" name="_csrf" value={pre} />
        <p>{t('signInHelp')}</p>
        <label for="apiKey">{t('apiKey')}</label>
        <input
          id="apiKey"
          name="apiKey"
          type="password"
          autocomplete="off"
          required
          size={60}
          aria-invalid={failed ? 'true' : undefined}
          aria-describedby={failed ? 'apiKey-err' : undefined}
        />
        {failed && (
          <p class="field-error" id="apiKey-err" role="alert">
            {t('signInFailed')}
          </p>
        )}
        <p>
          <button type="submit">{t('signIn')}</button>
        </p>
      </form>
    </ui.Page>,
    status,
  );
}

/**
 * The web console at /console: server-rendered pages over the same API, in-process. Mounted by createApp; `/`
 * redirects here.
 */
export function mountConsole(app: OpenAPIHono<AppEnv>, services: Services): void {
  const web = new Hono<ConsoleEnv>();
  web.get('/static/:file', (c) => {
    const a = STATIC_BY_PATH.get(c.req.path);
    if (!a) return c.text('not found', 404);
    const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
    c.header('Content-Type', a.type);
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    c.header('Vary', 'Accept-Encoding');
    if (gzip) c.header('Content-Encoding', 'gzip');
    return c.body(new Uint8Array(gzip ? a.gzip : a.body));
  });
  web.use(
    '*',
    consoleContext(services, (req) => app.fetch(req)),
  );

  web.get('/sign-in', (c) => (c.get('session') ? c.redirect('/console', 303) : signInPage(c, false)));
  web.post('/sign-in', async (c) => {
    const body = await readForm(c);
    const pre = getCookie(c, PRE_CSRF_COOKIE);
    if (!pre || first(body, '_csrf') !== pre) return c.text(c.get('t')('csrfFailed'), 403);
    const key = first(body, 'apiKey');
    const session = await signIn(services.db, key, c.get('requestId'));
    if (!session) return signInPage(c, true, 401);
    deleteCookie(c, PRE_CSRF_COOKIE, { path: '/console/sign-in' });
    setCookie(c, SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: overHttps(c),
      path: '/console',
      maxAge: Math.floor(CONSOLE_SESSION_TTL_MS / 1000),
    });
    return c.redirect('/console', 303);
  });
  web.post('/sign-out', async (c) => {
    const session = c.get('session');
    if (session) await signOut(services.db, session, c.get('requestId'));
    deleteCookie(c, SESSION_COOKIE, { path: '/console' });
    return c.redirect('/console/sign-in', 303);
  });
  web.get('/lang', (c) => {
    const to = c.req.query('to') === 'zh-CN' ? 'zh-CN' : 'en';
    const back = c.req.query('back') ?? '/console';
    setCookie(c, LANG_COOKIE, to, { sameSite: 'Lax', path: '/console', maxAge: 365 * 24 * 3600 });
    // Only a console path: the switch must not become an open redirect.
    return c.redirect(/^\/console(\/|\?|$)/.test(back) && !back.startsWith('//') ? back : '/console', 303);
  });

  registerOverviewPage(web);
  registerAssetPages(web);
  registerPlaybookPages(web);
  registerTaskWizard(web);
  registerTaskPages(web);
  registerReportPages(web);
  registerSignaturePages(web);
  registerDecisionPage(web);
  registerNotificationPages(web);
  registerInvitationPages(web);
  registerAccountPages(web);
  registerAdminPages(web);

  web.onError((err, c) => {
    const t = c.get('t');
    const status = err instanceof ConsolePageError ? err.status : 500;
    if (status === 500)
      (c.get('logger') ?? services.logger).error({ err, path: c.req.path }, 'console error');
    const message =
      status === 404
        ? t('notFound')
        : status === 403
          ? t('forbidden')
          : status === 500
            ? t('errorTitle')
            : err.message;
    return c.html(
      <ui.Page c={c} title={t('errorTitle')}>
        <p class="error" role="alert">
          {message}
        </p>
        <p class="muted">request {c.get('requestId')}</p>
      </ui.Page>,
      status === 500 ? 500 : (status as 400 | 403 | 404 | 409 | 422),
    );
  });
  web.notFound((c) =>
    c.html(
      <ui.Page c={c} title={c.get('t')('notFound')}>
        <p>
          <a href="/console">{c.get('t')('navOverview')}</a>
        </p>
      </ui.Page>,
      404,
    ),
  );

  app.get('/', (c) => c.redirect('/console', 302));
  app.route('/console', web as unknown as Hono<AppEnv>);
}
