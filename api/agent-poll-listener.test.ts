import { createServer, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { recordAgentJob } from '../services/agents/record-agent-job.js';
import { waitingPolls } from '../services/agents/job-notifier.js';
import { createTestContext, type TestAccount, type TestContext } from '../test/harness.js';
import { agentPollListener } from './agent-poll-listener.js';

/**
 * The lean long poll answers like the documented Hono route: each request goes once through the listener (on its
 * own loopback server, counting what it passes on to Hono) and once through Hono alone (`app.request`), with the same
 * X-Request-Id so that even the error bodies compare verbatim.
 */
let ctx: TestContext;
let account: TestAccount;
let server: Server;
let base: string;
let passedOn = 0;
let token: string;

beforeAll(async () => {
  ctx = await createTestContext();
  account = await ctx.createAccount();
  const hono = getRequestListener(ctx.app.fetch);
  server = createServer(
    agentPollListener(ctx.services, (req, res) => {
      passedOn++;
      void hono(req, res);
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ({ agentToken: token } = await register('lean-01'));
});

/** A new agent (a job it claims stays its own: the other tests' agent holds none). */
async function register(hostname: string): Promise<{ agentToken: string; assetId: string }> {
  const enrollment = await ctx.request('POST', '/v1/agent-enrollment-tokens', {
    key: account.apiKey,
    body: {},
  });
  const registered = await ctx.request('POST', '/agent/v1/register', {
    body: {
      enrollmentToken: ((await enrollment.json()) as { token: string }).token,
      hostname,
      osFamily: 'linux',
      executor: 'simulate',
      agentVersion: 'test',
    },
  });
  expect(registered.status).toBe(201);
  return (await registered.json()) as { agentToken: string; assetId: string };
}

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await ctx?.close();
});

interface Answer {
  status: number;
  body: string;
  contentType: string | null;
  requestId: string | null;
  wwwAuthenticate: string | null;
}

const answer = async (res: Response): Promise<Answer> => ({
  status: res.status,
  body: await res.text(),
  contentType: res.headers.get('content-type'),
  requestId: res.headers.get('x-request-id'),
  wwwAuthenticate: res.headers.get('www-authenticate'),
});

function headersFor(bearer: string | null, requestId: string): Record<string, string> {
  return bearer === null
    ? { 'x-request-id': requestId }
    : { authorization: `Bearer ${bearer}`, 'x-request-id': requestId };
}

/** Through the listener; `lean` says whether it answered itself (true) or passed the request on to Hono. */
async function viaListener(
  path: string,
  bearer: string | null,
  opts: { method?: string; signal?: AbortSignal } = {},
): Promise<Answer & { lean: boolean }> {
  const before = passedOn;
  const res = await fetch(`${base}${path}`, {
    method: opts.method ?? 'GET',
    headers: headersFor(bearer, 'req-listener'),
    signal: opts.signal,
  });
  return { ...(await answer(res)), requestId: res.headers.get('x-request-id'), lean: passedOn === before };
}

async function viaHono(path: string, bearer: string | null, method = 'GET'): Promise<Answer> {
  return answer(await ctx.app.request(path, { method, headers: headersFor(bearer, 'req-listener') }));
}

describe('the lean long poll', () => {
  it('answers 204 when no job comes within the wait, after the wait, like the route', async () => {
    const started = Date.now();
    const lean = await viaListener('/agent/v1/jobs?waitSeconds=1', token);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(lean).toEqual({ ...(await viaHono('/agent/v1/jobs?waitSeconds=1', token)), lean: true });
    expect(lean).toMatchObject({ status: 204, body: '', requestId: 'req-listener' });
    expect(waitingPolls().polls).toBe(0);
  });

  it('refuses a missing, malformed or unknown agent token with the same 401', async () => {
    for (const bearer of [null, 'not-a-token', 'vga_unknownunknownunknownunknownunknownun', account.apiKey]) {
      const lean = await viaListener('/agent/v1/jobs?waitSeconds=0', bearer);
      expect(lean).toEqual({ ...(await viaHono('/agent/v1/jobs?waitSeconds=0', bearer)), lean: true });
      expect(lean.status).toBe(401);
      expect(lean.wwwAuthenticate).toBe('Bearer');
      expect(JSON.parse(lean.body)).toMatchObject({
        error: { code: 'unauthorized', requestId: 'req-listener' },
      });
    }
  });

  it('refuses a wait out of range with the same 400, and checks the token first', async () => {
    const lean = await viaListener('/agent/v1/jobs?waitSeconds=31', token);
    expect(lean).toEqual({ ...(await viaHono('/agent/v1/jobs?waitSeconds=31', token)), lean: true });
    expect(lean.status).toBe(400);
    expect(JSON.parse(lean.body)).toMatchObject({
      error: { code: 'bad_request', details: [{ path: 'waitSeconds' }] },
    });
    const unknown = await viaListener('/agent/v1/jobs?waitSeconds=31', 'vga_unknown');
    expect(unknown).toMatchObject({ status: 401, lean: true });
  });

  it('passes every other request on to Hono, which answers it as before', async () => {
    for (const [path, method] of [
      ['/agent/v1/jobs?waitSeconds=abc', 'GET'],
      ['/agent/v1/jobs?waitSeconds=0&extra=1', 'GET'],
      ['/agent/v1/jobs/', 'GET'],
      ['/agent/v1/jobs', 'POST'],
      ['/healthz', 'GET'],
    ] as const) {
      const lean = await viaListener(path, token, { method });
      expect(lean).toEqual({ ...(await viaHono(path, token, method)), lean: false });
    }
  });

  it('hands out a job that arrives during the wait at once, shaped like the route’s', async () => {
    const record = (asset: string, jobKey: string) =>
      recordAgentJob(
        ctx.services,
        {
          accountId: account.accountId,
          assetId: asset,
          kind: 'scan',
          jobKey,
          payload: { n: jobKey },
          cancelPushed: true,
        },
        { taskToken: Buffer.from(jobKey), attempt: 1, workflowId: null, activityId: jobKey },
      );
    const [viaRoute, viaLean] = [await register('route-job'), await register('lean-job')];
    await record(viaRoute.assetId, 'via-hono');
    const hono = await viaHono('/agent/v1/jobs?waitSeconds=0', viaRoute.agentToken);

    const started = Date.now();
    const waiting = viaListener('/agent/v1/jobs?waitSeconds=20', viaLean.agentToken);
    await expect.poll(() => waitingPolls().polls, { timeout: 10_000 }).toBe(1);
    await record(viaLean.assetId, 'via-listener');
    const lean = await waiting;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(lean.status).toBe(200);
    expect({ ...lean, body: '' }).toEqual({ ...hono, body: '', lean: true });
    const job = JSON.parse(lean.body) as Record<string, unknown>;
    expect(Object.keys(job).sort()).toEqual(Object.keys(JSON.parse(hono.body) as object).sort());
    expect(job).toMatchObject({ kind: 'scan', payload: { n: 'via-listener' }, attempt: 1 });
  });

  it('lets go of a poll whose client went away: no waiter, no timer left behind', async () => {
    const client = new AbortController();
    const poll = viaListener('/agent/v1/jobs?waitSeconds=30', token, { signal: client.signal });
    await expect.poll(() => waitingPolls().polls, { timeout: 10_000 }).toBe(1);
    client.abort();
    await expect(poll).rejects.toThrow();
    await expect.poll(() => waitingPolls().polls).toBe(0);
  });
});

describe("the API's listener", () => {
  it('answers plain polls before Hono, passes the rest on, and queues a fleet reconnecting at once', async () => {
    const listen = vi.spyOn(net.Server.prototype, 'listen');
    const viaApp = vi.spyOn(ctx.app, 'fetch');
    try {
      const url = await ctx.listen();
      const [options] = listen.mock.calls[0] ?? [];
      expect((options as net.ListenOptions).backlog).toBeGreaterThanOrEqual(4096);
      const poll = await fetch(`${url}/agent/v1/jobs?waitSeconds=0`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(poll.status).toBe(204);
      expect(viaApp).not.toHaveBeenCalled();
      expect((await fetch(`${url}/agent/v1/jobs`, { method: 'POST' })).status).toBe(405);
      expect(viaApp).toHaveBeenCalledTimes(1);
    } finally {
      listen.mockRestore();
      viaApp.mockRestore();
    }
  });
});
