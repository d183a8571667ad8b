import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
