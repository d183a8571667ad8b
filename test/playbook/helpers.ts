import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect } from 'vitest';
import { agentJobs } from '../../db/schema/agents.js';
import { createTestContext, type TestContext } from '../harness.js';
import { createFleet, type Fleet, type FleetOptions } from '../../platform/playbook-fleet.js';

export interface PlaybookWorld {
  ctx: TestContext;
  baseUrl: string;
  apiKey: string;
  accountId: string;
  fleet: Fleet;
}

/** An account with a simulated fleet served over real HTTP by this file's app. */
export async function playbookWorld(
  ctx: TestContext,
  opts: Omit<FleetOptions, 'baseUrl' | 'apiKey'>,
): Promise<PlaybookWorld> {
  const baseUrl = await ctx.listen();
  const { accountId, apiKey } = await ctx.createAccount('Playbook test');
  const fleet = await createFleet({ baseUrl, apiKey, ...opts });
  return { ctx, baseUrl, apiKey, accountId, fleet };
}

export async function api<T = Record<string, unknown>>(
  w: PlaybookWorld,
  method: string,
  path: string,
  body?: unknown,
  expected?: number,
): Promise<T> {
  const res = await w.ctx.request(method, path, { key: w.apiKey, body });
  const text = await res.text();
  if (expected !== undefined) expect(res.status, text).toBe(expected);
  return (text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text) as T;
}

export interface TaskDto {
  id: string;
  status: string;
  executions: number;
  assetCount: number;
  log: {
    status: string;
    processes: number;
    succeeded: number;
    failed: number;
    assets: Record<string, number>;
    steps: { kind: string; status: string; counts: Record<string, number> }[];
  };
  assets: {
    id: string;
    name: string;
    status: string;
    reason: string | null;
    vulnerabilities: { name: string; status: string }[];
  }[];
}

export async function createTask(
  w: PlaybookWorld,
  body: Partial<{
    name: string;
    assets: unknown;
    vulnerabilityIds: string[];
    channelIds: string[];
    execution: unknown;
  }> = {},
  policyId = w.fleet.policyId,
): Promise<TaskDto> {
  return api<TaskDto>(
    w,
    'POST',
    `/v1/playbook/policies/${policyId}/tasks`,
    {
      name: 'patch the fleet',
      assets: { assetIds: w.fleet.assets.map((a) => a.id) },
      vulnerabilityIds: w.fleet.vulnerabilityIds,
      execution: { mode: 'now' },
      ...body,
    },
    201,
  );
}

export const getTask = (w: PlaybookWorld, id: string) =>
  api<TaskDto>(w, 'GET', `/v1/playbook/tasks/${id}`, undefined, 200);

/** Polls the task until `done` holds (no fixed sleeps). */
export async function waitForTask(
  w: PlaybookWorld,
  id: string,
  done: (t: TaskDto) => boolean,
  timeoutMs = 180_000,
): Promise<TaskDto> {
  const deadline = Date.now() + timeoutMs;
  let last: TaskDto | null = null;
  while (Date.now() < deadline) {
    last = await getTask(w, id);
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(
    `task ${id} did not reach the expected state; last: ${JSON.stringify(last?.status)} ${JSON.stringify(last?.log)}`,
  );
}

/** Polls until `count` fix jobs of the world's account run on agents (30 s, then `what` did not happen). */
export async function waitForRunningFixJobs(w: PlaybookWorld, count: number, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const running = await w.ctx.database.db
      .select()
      .from(agentJobs)
      .where(
        and(eq(agentJobs.accountId, w.accountId), eq(agentJobs.kind, 'fix'), eq(agentJobs.status, 'running')),
      );
    if (running.length >= count) return;
    if (Date.now() > deadline) throw new Error(what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An ISO time `s` seconds from now (window ends and cutoffs). */
export const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

export const FINAL = ['Cancelled', 'Succeeded', 'PartiallyFailed', 'Failed', 'Expired'];
export const isFinal = (t: TaskDto) => FINAL.includes(t.status);

/**
 * One test file's Playbook setup: a context with running workers, and `world()` that seeds a fleet which is
 * stopped when the file ends.
 */
export function usePlaybookWorlds(): {
  ctx: () => TestContext;
  world: (opts: Parameters<typeof playbookWorld>[1]) => Promise<PlaybookWorld>;
} {
  let ctx: TestContext | undefined;
  const worlds: PlaybookWorld[] = [];
  beforeAll(async () => {
    ctx = await createTestContext({ workers: true });
  });
  afterAll(async () => {
    for (const w of worlds) await w.fleet.stop();
    await ctx?.close();
  });
  const current = () => {
    if (!ctx) throw new Error('the Playbook test context is not ready (used outside a test?)');
    return ctx;
  };
  return {
    ctx: current,
    async world(opts) {
      const w = await playbookWorld(current(), opts);
      worlds.push(w);
      return w;
    },
  };
}
