import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type DatabaseHandle } from '../../db/client.js';
import { uuidv7 } from '../../domain/ids.js';
import { createTestDatabase } from '../../test/database.js';
import type { AgentCaller } from './agent-token-cache.js';
import { TOUCH_FLUSH_MS, touchAgent } from './touch-agent.js';

/**
 * An agent's poll records that it was heard from: at once when its asset comes online, batched for agents already
 * online, and only for the agents that polled.
 */
describe('touching agents', () => {
  let handle: DatabaseHandle;
  const accountId = uuidv7();
  const long = new Date(Date.now() - 10 * 60_000);
  const hosts = ['a', 'b', 'c', 'd'].map((name) => ({ name, assetId: uuidv7(), agentId: uuidv7() }));
  const errors: unknown[] = [];
  const onError = (err: unknown) => errors.push(err);

  const caller = (name: string, assetOnline: boolean): AgentCaller => {
    const host = hosts.find((h) => h.name === name);
    if (!host) throw new Error(name);
    return { agentId: host.agentId, accountId, assetId: host.assetId, lastHeartbeatAt: long, assetOnline };
  };
  const seen = async () =>
    new Map(
      (
        await queryRows<{ name: string; heartbeat: string; lastSeen: string; status: string }>(
          handle.db,
          sql`SELECT s.name, g.last_heartbeat_at AS heartbeat, s.last_seen_at AS "lastSeen",
                s.agent_status AS status
              FROM assets s JOIN agents g ON g.asset_id = s.id ORDER BY s.name`,
        )
      ).map((r) => [
        r.name,
        { heartbeat: new Date(r.heartbeat), lastSeen: new Date(r.lastSeen), status: r.status },
      ]),
    );

  beforeAll(async () => {
    handle = await createTestDatabase();
    for (const h of hosts) {
      await handle.db.execute(sql`
        INSERT INTO assets (id, account_id, instance_id, name, hostname, os_family, agent_status, last_seen_at)
        VALUES (${h.assetId}, ${accountId}, ${`i-${h.name}`}, ${h.name}, ${h.name}, 'linux',
          ${h.name === 'c' ? 'offline' : 'online'}, ${long.toISOString()})`);
      await handle.db.execute(sql`
        INSERT INTO agents (id, account_id, asset_id, token_hash, hostname, executor, last_heartbeat_at)
        VALUES (${h.agentId}, ${accountId}, ${h.assetId}, ${`hash-${h.name}`}, ${h.name}, 'simulate',
          ${long.toISOString()})`);
    }
  });
  afterAll(async () => {
    await handle.close();
  });

  it('writes the keep-alives of online agents in one batch, and only theirs', async () => {
    const a = caller('a', true);
    const b = caller('b', true);
    const started = Date.now();
    await touchAgent(handle.db, a, onError);
    await touchAgent(handle.db, b, onError);
    // Batched: nothing is written yet, but the cached callers already know they were heard from.
    expect((await seen()).get('a')?.heartbeat).toEqual(long);
    expect(a.lastHeartbeatAt?.getTime()).toBeGreaterThanOrEqual(started);
    let after = await seen();
    while (after.get('b')?.heartbeat.getTime() === long.getTime()) {
      expect(Date.now() - started).toBeLessThan(TOUCH_FLUSH_MS + 5_000);
      await new Promise((r) => setTimeout(r, 100));
      after = await seen();
    }
    for (const name of ['a', 'b']) {
      expect(after.get(name)?.heartbeat.getTime()).toBeGreaterThanOrEqual(started - 1000);
      expect(after.get(name)?.lastSeen.getTime()).toBeGreaterThanOrEqual(started - 1000);
    }
    // The agents that did not poll are left as they were.
    for (const name of ['c', 'd']) {
      expect(after.get(name)?.heartbeat).toEqual(long);
      expect(after.get(name)?.lastSeen).toEqual(long);
    }
    expect(errors).toEqual([]);
  });

  it('writes an agent coming online at once', async () => {
    const c = caller('c', false);
    const started = Date.now();
    await touchAgent(handle.db, c, onError);
    const after = await seen();
    expect(after.get('c')?.status).toBe('online');
    expect(after.get('c')?.heartbeat.getTime()).toBeGreaterThanOrEqual(started - 1000);
    expect(after.get('d')?.heartbeat).toEqual(long);
    expect(c.assetOnline).toBe(true);
    expect(errors).toEqual([]);
  });
});
