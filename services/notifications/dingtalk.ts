import {
  DINGTALK_RETRYABLE_ERRCODES,
  dingTalkMarkdown,
  signDingTalk,
  signedWebhookUrl,
  type NotificationMessage,
} from '../../domain/notifications.js';

/** DESIGN §3.6: outbound webhooks time out. */
export const DINGTALK_TIMEOUT_MS = 10_000;

export interface DingTalkTarget {
  /** The full webhook with its access token. */
  webhook: string;
  secret: string | null;
  keyword: string | null;
}

export interface DingTalkResponse {
  httpStatus: number | null;
  errcode: number | null;
  errmsg: string | null;
}

/** One attempt's outcome: `retryable` says whether another attempt could succeed. */
export interface SendAttempt<R> {
  ok: boolean;
  retryable: boolean;
  detail: string;
  response: R;
}

/** Error texts may quote the URL; the access token and signature must not reach a log or the ledger. */
const redactUrlSecrets = (text: string) =>
  text.replace(/(access_token|sign|timestamp)=[^&\s"']+/gi, '$1=***');

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return redactUrlSecrets(String(err));
  if (err.name === 'TimeoutError') return `no answer within ${DINGTALK_TIMEOUT_MS / 1000} s`;
  // fetch wraps the socket error (ECONNREFUSED, ENOTFOUND …) in `cause`.
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return redactUrlSecrets(`${err.message}${cause}`);
}

/**
 * Posts one markdown message to a DingTalk custom robot, signed when the robot has a secret. No redirects (a 3xx
 * is a failure), 10 s timeout; success is HTTP 200 with `errcode: 0`.
 */
export async function postDingTalk(
  target: DingTalkTarget,
  message: NotificationMessage,
  opts: { now?: () => number; timeoutMs?: number } = {},
): Promise<SendAttempt<DingTalkResponse>> {
  let url = target.webhook;
  if (target.secret) {
    const timestamp = (opts.now ?? Date.now)();
    url = signedWebhookUrl(target.webhook, timestamp, await signDingTalk(target.secret, timestamp));
  }
  const markdown = dingTalkMarkdown(message, target.keyword);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ msgtype: 'markdown', markdown }),
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs ?? DINGTALK_TIMEOUT_MS),
    });
  } catch (err) {
    const none = { httpStatus: null, errcode: null, errmsg: null };
    return { ok: false, retryable: true, detail: `request failed: ${describeError(err)}`, response: none };
  }
  const body = await res.text().catch((err: unknown) => `(body unreadable: ${describeError(err)})`);
  const httpStatus = res.status;
  if (res.status >= 300 && res.status < 400) {
    const none = { httpStatus, errcode: null, errmsg: null };
    return {
      ok: false,
      retryable: false,
      detail: `HTTP ${res.status}: redirects are not followed`,
      response: none,
    };
  }
  let errcode: number | null = null;
  let errmsg: string | null = null;
  try {
    const parsed = JSON.parse(body) as { errcode?: unknown; errmsg?: unknown };
    if (typeof parsed.errcode === 'number') errcode = parsed.errcode;
    if (typeof parsed.errmsg === 'string') errmsg = parsed.errmsg;
  } catch {
    // Not JSON (a proxy's error page): reported below by HTTP status and a body excerpt.
  }
  const response = { httpStatus, errcode, errmsg };
  if (!res.ok) {
    const retryable = res.status === 429 || res.status >= 500;
    const why = errcode !== null ? `errcode ${errcode}: ${errmsg ?? ''}` : body.slice(0, 200);
    return { ok: false, retryable, detail: `HTTP ${res.status}: ${why}`, response };
  }
  if (errcode === 0) return { ok: true, retryable: false, detail: `errcode 0: ${errmsg ?? 'ok'}`, response };
  if (errcode === null) {
    return {
      ok: false,
      retryable: true,
      detail: `no errcode in the answer: ${body.slice(0, 200)}`,
      response,
    };
  }
  return {
    ok: false,
    retryable: DINGTALK_RETRYABLE_ERRCODES.includes(errcode),
    detail: `errcode ${errcode}: ${errmsg ?? ''}`,
    response,
  };
}
