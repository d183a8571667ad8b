import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A markdown message the fake accepted. */
export interface DingTalkFakeMessage {
  title: string;
  text: string;
  timestamp: number | null;
  receivedAt: Date;
}

/** Every request, accepted or not, with the answer it got. */
export interface DingTalkFakeRequest {
  query: Record<string, string>;
  body: unknown;
  answer: { status: number; errcode: number; errmsg: string };
}

export interface DingTalkFakeAnswer {
  status?: number;
  errcode: number;
  errmsg: string;
}

export interface DingTalkFake {
  /** The robot's webhook: `http://127.0.0.1:<port>/robot/send?access_token=<token>`. */
  url: string;
  /** `127.0.0.1:<port>`, for VIGIL_WEBHOOK_ALLOWLIST. */
  host: string;
  messages: DingTalkFakeMessage[];
  requests: DingTalkFakeRequest[];
  /** The next `n` requests get `answer` (default: DingTalk's rate-limit errcode 130101) instead of being taken. */
  failNext(n: number, answer?: DingTalkFakeAnswer): void;
  /** Resolves once `count` messages were accepted (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<DingTalkFakeMessage[]>;
  close(): Promise<void>;
}

export interface DingTalkFakeOptions {
  /** The robot's signing secret; null or absent: the robot does not check signatures. */
  secret?: string | null;
  /** Keyword security: messages whose text lacks it are refused with 310000. */
  keyword?: string;
  accessToken?: string;
}

const TOLERANCE_MS = 60 * 60 * 1000;
export const DINGTALK_RATE_LIMITED: DingTalkFakeAnswer = {
  errcode: 130101,
  errmsg: 'send too fast, exceed 20 times per minute',
};

/** DingTalk's own check, written independently of Vigil's signer: HMAC-SHA256 of `${timestamp}\n${secret}`. */
function signatureMatches(secret: string, timestamp: string, sign: string): boolean {
  const expected = createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest();
  const got = Buffer.from(sign, 'base64');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * A DingTalk custom robot on loopback (DESIGN §10): checks the access token, the timestamp (±1 h) and signature,
 * the keyword, and the markdown body; answers `{errcode, errmsg}` like the real one.
 */
export async function startDingTalkFake(opts: DingTalkFakeOptions = {}): Promise<DingTalkFake> {
  const accessToken = opts.accessToken ?? 'fake-access-token-0123456789';
  const messages: DingTalkFakeMessage[] = [];
  const requests: DingTalkFakeRequest[] = [];
  const failures: DingTalkFakeAnswer[] = [];
  const waiters: (() => void)[] = [];

  const judge = (query: Record<string, string>, body: unknown): DingTalkFakeAnswer => {
    const forced = failures.shift();
    if (forced) return forced;
    if (query.access_token !== accessToken) return { errcode: 300001, errmsg: 'token is not exist' };
    if (opts.secret) {
      const { timestamp, sign } = query;
      if (!timestamp || !sign) return { errcode: 310000, errmsg: 'sign not match, more: [sign missing]' };
      if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() - Number(timestamp)) > TOLERANCE_MS) {
        return { errcode: 310000, errmsg: 'invalid timestamp' };
      }
      if (!signatureMatches(opts.secret, timestamp, sign))
        return { errcode: 310000, errmsg: 'sign not match' };
    }
    const b = body as { msgtype?: unknown; markdown?: { title?: unknown; text?: unknown } } | null;
    if (
      b?.msgtype !== 'markdown' ||
      typeof b.markdown?.title !== 'string' ||
      typeof b.markdown.text !== 'string'
    ) {
      return { errcode: 40035, errmsg: 'missing or invalid markdown' };
    }
    if (opts.keyword && !b.markdown.text.includes(opts.keyword)) {
      return { errcode: 310000, errmsg: 'keywords not in content' };
    }
    messages.push({
      title: b.markdown.title,
      text: b.markdown.text,
      timestamp: query.timestamp ? Number(query.timestamp) : null,
      receivedAt: new Date(),
    });
    for (const w of waiters.splice(0)) w();
    return { errcode: 0, errmsg: 'ok' };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    const query = Object.fromEntries(url.searchParams);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    const answer =
      req.method !== 'POST' || url.pathname !== '/robot/send'
        ? { status: 404, errcode: 404, errmsg: 'not found' }
        : judge(query, body);
    const status = answer.status ?? 200;
    requests.push({ query, body, answer: { status, errcode: answer.errcode, errmsg: answer.errmsg } });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errcode: answer.errcode, errmsg: answer.errmsg }));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/robot/send?access_token=${accessToken}`,
    host: `127.0.0.1:${port}`,
    messages,
    requests,
    failNext(n, answer = DINGTALK_RATE_LIMITED) {
      for (let i = 0; i < n; i++) failures.push(answer);
    },
    async waitFor(count, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} DingTalk messages, got ${messages.length}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(left, 500));
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return messages;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
