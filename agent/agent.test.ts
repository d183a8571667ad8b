import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type AgentEvent, type RunningAgent } from './agent.js';
import { backoffDelay } from './backoff.js';

let agent: RunningAgent | undefined;
let server: Server | undefined;

afterEach(async () => {
  await agent?.stop();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  agent = undefined;
  server = undefined;
});

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('reconnecting', () => {
  it('backs off exponentially with jitter, capped', () => {
    const lows = [0, 1, 2, 3, 10].map((n) => backoffDelay(n, { baseMs: 100, maxMs: 1000, random: () => 0 }));
    const highs = [0, 1, 2, 3, 10].map((n) => backoffDelay(n, { baseMs: 100, maxMs: 1000, random: () => 1 }));
    expect(lows).toEqual([50, 100, 200, 400, 500]);
    expect(highs).toEqual([100, 200, 400, 800, 1000]);
  });

  it('retries while the server is down and enrolls once it is up', async () => {
    const port = await freePort();
    const events: AgentEvent[] = [];
    agent = startAgent({
      server: `http://127.0.0.1:${port}`,
      enrollToken: 'vge_test',
      executor: 'simulate',
      identity: { hostname: 'offline-01', osFamily: 'linux', ips: [] },
      pollWaitSeconds: 1,
      backoff: { baseMs: 20, maxMs: 200 },
      onEvent: (e) => events.push(e),
    });
    await expect
      .poll(() => events.filter((e) => e.type === 'disconnected').length, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(4);
    const waits = events.flatMap((e) => (e.type === 'disconnected' ? [e.retryInMs] : []));
    expect(Math.max(...waits)).toBeLessThanOrEqual(200);
    expect(waits[3]).toBeGreaterThan(waits[0] ?? Infinity);

    const seen: string[] = [];
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url?.split('?')[0]}`);
      if (req.url === '/agent/v1/register') {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ agentId: 'a-1', assetId: 'asset-1', agentToken: 'vga_x' }));
        return;
      }
      res.writeHead(204);
      res.end();
    });
    await new Promise<void>((r) => server?.listen(port, '127.0.0.1', r));
    expect(await agent.ready).toEqual({ agentId: 'a-1', assetId: 'asset-1' });
    await expect.poll(() => seen.includes('GET /agent/v1/jobs'), { timeout: 10_000 }).toBe(true);
    expect(events.some((e) => e.type === 'reconnected')).toBe(true);
    expect(agent.stats().connected).toBe(true);
  });

  it('stops with a clear error when it has neither a stored token nor an enrollment token', async () => {
    agent = startAgent({ server: 'http://127.0.0.1:9', executor: 'simulate' });
    await expect(agent.done).rejects.toThrow(/--enroll/);
  });
});

describe('configure jobs', () => {
  const readBody = async (req: IncomingMessage) => {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };

  /** A fake server that hands out one configure job per revision, in order, and records each result. */
  async function serveRevisions(revisions: number[]) {
    const results: { revision: number; status: unknown; details: Record<string, unknown> }[] = [];
    let next = 0;
    server = createServer((req, res) => {
      void (async () => {
        const body = await readBody(req);
        const reply = (status: number, json?: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(json === undefined ? undefined : JSON.stringify(json));
        };
        const url = req.url?.split('?')[0] ?? '';
        if (url === '/agent/v1/register')
          return reply(201, { agentId: 'a-1', assetId: 's-1', agentToken: 'vga_x' });
        if (url === '/agent/v1/jobs') {
          const revision = revisions[next];
          if (revision === undefined) return reply(204);
          next++;
          return reply(200, {
            id: `job-${next}-r${revision}`,
            kind: 'configure',
            payload: { revision, config: { protectionMode: `mode-${revision}` } },
            summary: null,
            attempt: 1,
            createdAt: new Date().toISOString(),
          });
        }
        const result = /^\/agent\/v1\/jobs\/job-\d+-r(\d+)\/result$/.exec(url);
        if (result) {
          results.push({
            revision: Number(result[1]),
            status: body.status,
            details: body.details as Record<string, unknown>,
          });
          return reply(200, { status: 'succeeded', applied: true });
        }
        if (url.endsWith('/heartbeat')) return reply(200, { cancel: false, outputLength: 0 });
        return reply(200, { outputLength: 0 });
      })().catch((err: unknown) => {
        res.writeHead(500);
        res.end(String(err));
      });
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, results };
  }

  it('applies only a revision newer than the applied one; older and repeated ones are acknowledged as no-ops', async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), 'vigil-agent-configure-'));
    try {
      const start = (base: string) =>
        startAgent({
          server: base,
          enrollToken: 'vge_test',
          executor: 'simulate',
          executorOptions: { latencyMs: 0 },
          stateDir,
          identity: { hostname: 'conf-01', osFamily: 'linux', ips: [] },
          pollWaitSeconds: 1,
          heartbeatIntervalMs: 50,
          outputFlushMs: 20,
        });
      const first = await serveRevisions([2, 2, 1, 3]);
      agent = start(first.base);
      await expect.poll(() => first.results.length, { timeout: 10_000 }).toBe(4);
      expect(first.results).toEqual([
        { revision: 2, status: 'succeeded', details: { appliedRevision: 2, unapplied: [] } },
        {
          revision: 2,
          status: 'succeeded',
          details: { appliedRevision: 2, outcome: 'unchanged', unapplied: [] },
        },
        { revision: 1, status: 'succeeded', details: { appliedRevision: 2, outcome: 'superseded' } },
        { revision: 3, status: 'succeeded', details: { appliedRevision: 3, unapplied: [] } },
      ]);
      const file = JSON.parse(await readFile(path.join(stateDir, 'config.json'), 'utf8')) as {
        revision: number;
        config: unknown;
      };
      expect(file).toMatchObject({ revision: 3, config: { protectionMode: 'mode-3' } });

      // After a restart the state folder still says 3: a late revision 2 changes nothing.
      await agent.stop();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      const second = await serveRevisions([2, 4]);
      agent = start(second.base);
      await expect.poll(() => second.results.length, { timeout: 10_000 }).toBe(2);
      expect(second.results.map((r) => r.details)).toEqual([
        { appliedRevision: 3, outcome: 'superseded' },
        { appliedRevision: 4, unapplied: [] },
      ]);
    } finally {
      await agent?.stop();
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
