import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { WaitSignal } from '../services/agents/job-notifier.js';
import { pollAgentJobs } from '../services/agents/poll-agent-jobs.js';
import type { Services } from './context.js';
import { errorAnswer } from './errors.js';
import { agentFromAuthorization } from './middleware/agent-auth.js';
import { lazyChildLogger, requestIdFrom } from './middleware/request-context.js';
import { jobsRouteDef, toAgentJob, ZAgentPollQuerySchema } from './routes/agent-protocol.js';
import { schemaMismatch } from './router.js';

/** `?waitSeconds=<digits>` or no query at all: the only query shapes the lean path takes (agents send the first). */
const PLAIN_QUERY = /^(?:waitSeconds=(\d{1,9}))?$/;

/**
 * The agents' long poll (`GET /agent/v1/jobs`, documented by `jobsRouteDef`) answered in front of Hono. An idle
 * fleet is mostly polls waiting: through Hono each also held a web Request, a context and the middleware chain's
 * closures and promises (bench/idle-fleet.ts, 10,000 agents: 805 MB RSS, 16 % of a core); here a waiting poll holds
 * node's own HTTP objects, the waiter and timer of `waitForJob` and two async frames (~12 KB live in a heap
 * snapshot, most of it node's). It authenticates, validates and answers exactly
 * as the route does (the same functions: `agentFromAuthorization`, the route's query schema, `pollAgentJobs`,
 * `errorAnswer`); any other request — another method or path, a body, another query shape — goes to Hono
 * (`next`), which answers it as before.
 */
export function agentPollListener(services: Services, next: RequestListener): RequestListener {
  return (req, res) => {
    const query = plainPollQuery(req);
    if (query === undefined) {
      next(req, res);
      return;
    }
    void answerPoll(services, req, res, query);
  };
}

/** The poll's query as Hono's validator would see it, or undefined when the request is not a plain poll. */
function plainPollQuery(req: IncomingMessage): { waitSeconds?: string } | undefined {
  if (req.method !== 'GET') return undefined;
  const url = req.url ?? '';
  const mark = url.indexOf('?');
  if ((mark < 0 ? url : url.slice(0, mark)) !== jobsRouteDef.path) return undefined;
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0'))
    return undefined;
  const plain = PLAIN_QUERY.exec(mark < 0 ? '' : url.slice(mark + 1));
  if (!plain) return undefined;
  return plain[1] === undefined ? {} : { waitSeconds: plain[1] };
}

async function answerPoll(
  services: Services,
  req: IncomingMessage,
  res: ServerResponse,
  query: { waitSeconds?: string },
): Promise<void> {
  const incomingId = req.headers['x-request-id'];
  const requestId = requestIdFrom(typeof incomingId === 'string' ? incomingId : undefined);
  const logger = lazyChildLogger(services.logger, { requestId });
  const gone = new ClientGone(res);
  try {
    const agent = await agentFromAuthorization(services, req.headers.authorization);
    const parsed = ZAgentPollQuerySchema.safeParse(query);
    if (!parsed.success) throw schemaMismatch(parsed.error);
    const job = await pollAgentJobs({
      deps: { db: services.db, temporal: services.temporal, logger },
      agent,
      waitSeconds: parsed.data.waitSeconds,
      signal: gone,
      dbDriver: services.dbDriver,
    });
    if (res.destroyed) return;
    if (!job) {
      res.writeHead(204, { 'x-request-id': requestId }).end();
      return;
    }
    sendJson(res, 200, JSON.stringify(toAgentJob(job)), { 'x-request-id': requestId });
  } catch (err) {
    const answer = errorAnswer(err, { requestId, path: jobsRouteDef.path, logger });
    if (res.destroyed || res.headersSent) return;
    sendJson(res, answer.status, JSON.stringify(answer.body), {
      ...answer.headers,
      'x-request-id': requestId,
    });
  }
}

/**
 * As @hono/node-server does: the response closing before it finished means the client went away. Read from the
 * response itself rather than through an AbortController: an idle fleet keeps ten thousand polls waiting, and a
 * controller, its signal (an EventTarget), listener and once-wrapper were ~1 KB of each that the collector had to
 * trace. bench/idle-fleet.ts (10,000 agents, two runs each, same machine): the V8 helper threads' CPU fell from
 * ~27 to ~8 ticks per 30 s each, the API's from 13.0–13.2 % to 9.1–11.7 % of a core.
 */
class ClientGone implements WaitSignal {
  constructor(private readonly res: ServerResponse) {}

  get aborted(): boolean {
    return this.res.destroyed && !this.res.writableFinished;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    this.res.on('close', listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.res.off('close', listener);
  }
}

function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  res
    .writeHead(status, {
      ...headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    })
    .end(body);
}
