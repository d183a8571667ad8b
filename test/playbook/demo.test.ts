import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureDefaultAccount } from '../../platform/bootstrap.js';
import { startPlaybookDemo } from '../../platform/playbook-demo.js';
import { createTestContext, type TestContext } from '../harness.js';

vi.setConfig({ testTimeout: 300_000 });

/**
 * `npm start -- --demo` as a user meets it: one key printed, the one that sees the demo task, and the curl printed by
 * one start still works after a restart.
 */
let ctx: TestContext;
const stops: (() => Promise<void>)[] = [];
beforeAll(async () => {
  ctx = await createTestContext({ workers: true });
});
afterAll(async () => {
  for (const stop of stops) await stop();
  await ctx.close();
});

async function start(defaultAccount: { accountId: string; apiKey: string } | null): Promise<string[]> {
  const lines: string[] = [];
  const services = { ...ctx.services, publicUrl: await ctx.listen() };
  const demo = await startPlaybookDemo(services, (l) => lines.push(l), defaultAccount);
  stops.push(() => demo.stop());
  return lines;
}

const keysIn = (lines: string[]) => new Set(lines.join('\n').match(/vgl_[A-Za-z0-9]+_[A-Za-z0-9]+/g) ?? []);

/** Runs the printed curl command with fetch. */
async function runCurl(lines: string[]): Promise<{ status: number; id: string; key: string }> {
  const line = lines.find((l) => l.includes('curl -s -X POST')) ?? '';
  const m =
    /curl -s -X POST (\S+) -H "Authorization: Bearer (\S+)" -H "Content-Type: application\/json" -d '(.*)'$/.exec(
      line.trim(),
    );
  expect(m, line).not.toBeNull();
  const [, url = '', key = '', body = ''] = m ?? [];
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body,
  });
  const json = (await res.json()) as { id?: string };
  return { status: res.status, id: json.id ?? '', key };
}

describe('npm start -- --demo', () => {
  it('prints one key, which sees the demo task, and its curl still works after a restart', async () => {
    const created = await ensureDefaultAccount(ctx.services.db);
    expect(created).not.toBeNull();
    const first = await start(created);
    expect([...keysIn(first)]).toEqual([created?.apiKey]);
    const firstStop = stops.pop();
    await firstStop?.(); // the process stops …

    const second = await start(null); // … and starts again: the default account exists, its key is not known
    const [secondKey] = [...keysIn(second)];
    expect(keysIn(second).size).toBe(1);
    expect(secondKey).not.toBe(created?.apiKey);

    const old = await runCurl(first);
    expect(old.status).toBe(201);
    const fresh = await runCurl(second);
    expect(fresh.status).toBe(201);
    // The key printed now sees the task made with the curl printed before.
    for (const id of [old.id, fresh.id]) {
      const res = await ctx.request('GET', `/v1/playbook/tasks/${id}`, { key: secondKey });
      expect(res.status).toBe(200);
      const task = (await res.json()) as { assetCount: number };
      expect(task.assetCount).toBe(50);
      await ctx.request('POST', `/v1/playbook/tasks/${id}/cancel`, { key: secondKey });
    }
  });
});
