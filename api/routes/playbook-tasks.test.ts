import { describe, expect, it } from 'vitest';
import { fewestStatements } from '../../test/database.js';
import type { ErrorEnvelope } from '../../test/harness.js';
import { usePlaybookWorlds, type PlaybookWorld } from '../../test/playbook/helpers.js';
import type { TPlaybookPolicy, TPlaybookPolicyPage, TUpdatePolicyBody } from './playbook.js';
import type {
  TCreateTaskBody,
  TPlaybookTaskAssetPage,
  TPlaybookTaskControlResult,
  TPlaybookTaskCreated,
  TPlaybookTaskDetail,
  TPlaybookTaskLogPage,
  TPlaybookTaskPage,
} from './playbook-tasks.js';

/** The contract of the Playbook's routes: another account's objects do not exist, and the 409/422 rules hold. */
const { ctx, world } = usePlaybookWorlds();

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

/** One call with `key`, its status checked, its body typed by the route module's exported types. */
async function call<T>(
  key: string,
  method: string,
  path: string,
  expected: number,
  body?: unknown,
): Promise<T> {
  const res = await ctx().request(method, path, { key, body });
  const text = await res.text();
  expect(res.status, text).toBe(expected);
  return (text === '' ? null : JSON.parse(text)) as T;
}

const taskBody = (w: PlaybookWorld, over: Partial<TCreateTaskBody> = {}): TCreateTaskBody => ({
  name: 'contract',
  assets: { assetIds: w.fleet.assets.map((a) => a.id), groupIds: [], excludeAssetIds: [] },
  vulnerabilityIds: w.fleet.vulnerabilityIds,
  channelIds: [],
  execution: { mode: 'window', start: inSeconds(3600), end: inSeconds(7200), timeZone: 'UTC' },
  ...over,
});

const createWaiting = (w: PlaybookWorld) =>
  call<TPlaybookTaskCreated>(
    w.apiKey,
    'POST',
    `/v1/playbook/policies/${w.fleet.policyId}/tasks`,
    201,
    taskBody(w),
  );

describe('Playbook routes: another account sees 404 and changes nothing', () => {
  it('every policy and task route answers 404 to another account', async () => {
    const w = await world({ prefix: 'ct', assets: 1, vulnerabilitiesPerAsset: 1, withoutAgents: true });
    const other = (await ctx().createAccount('someone else')).apiKey;
    const task = await createWaiting(w);
    const policy = `/v1/playbook/policies/${w.fleet.policyId}`;
    const t = `/v1/playbook/tasks/${task.id}`;
    const calls: [string, string, unknown?][] = [
      ['GET', policy],
      ['PATCH', policy, { name: 'taken over' } satisfies TUpdatePolicyBody],
      ['DELETE', policy],
      ['POST', `${policy}/tasks`, taskBody(w)],
      ['POST', `${policy}/tasks/preview`, taskBody(w)],
      ['GET', t],
      ['GET', `${t}/assets`],
      ['GET', `${t}/logs`],
      ['GET', `${t}/flow`],
      ['POST', `${t}/pause`],
      ['POST', `${t}/cancel`],
      ['POST', `${t}/rerun`],
    ];
    for (const [method, path, body] of calls) {
      const e = await call<ErrorEnvelope>(other, method, path, 404, body);
      expect(e.error.code, `${method} ${path}`).toBe('not_found');
    }
    // Nothing changed for the owner: the policy keeps its name, the task still waits, the other account has none.
    const mine = await call<TPlaybookPolicy>(w.apiKey, 'GET', policy, 200);
    expect(mine.name).not.toBe('taken over');
    expect((await call<TPlaybookTaskDetail>(w.apiKey, 'GET', t, 200)).status).toBe('Waiting');
    expect((await call<TPlaybookTaskPage>(other, 'GET', '/v1/playbook/tasks', 200)).items).toEqual([]);
    expect((await call<TPlaybookPolicyPage>(other, 'GET', '/v1/playbook/policies', 200)).items).toEqual([]);
  });
});

describe('Playbook routes: 422 business rules write nothing', () => {
  it('a window already over, unknown groups, a selection matching no asset (and a malformed edit, 400)', async () => {
    const w = await world({ prefix: 'cu', assets: 1, vulnerabilitiesPerAsset: 1, withoutAgents: true });
    const policy = `/v1/playbook/policies/${w.fleet.policyId}`;
    const before = await call<TPlaybookPolicy>(w.apiKey, 'GET', policy, 200);
    // A parameter out of range is malformed input (400) and, like every rejected edit, changes nothing.
    const bad = await call<ErrorEnvelope>(w.apiKey, 'PATCH', policy, 400, {
      params: { maxConcurrency: 0 },
    } satisfies TUpdatePolicyBody);
    expect(bad.error.details).toEqual([
      { path: 'params.maxConcurrency', message: 'Too small: expected number to be >=1' },
    ]);
    expect(await call<TPlaybookPolicy>(w.apiKey, 'GET', policy, 200)).toEqual(before);

    const rejected: [string, Partial<TCreateTaskBody>][] = [
      [
        'invalid maintenance window',
        {
          execution: { mode: 'window', start: '2020-01-01T02:00', end: '2020-01-01T04:00', timeZone: 'UTC' },
        },
      ],
      [
        'unknown asset groups',
        { assets: { groupIds: ['00000000-0000-4000-8000-000000000000'], assetIds: [], excludeAssetIds: [] } },
      ],
      [
        'the asset selection matches no asset',
        { assets: { search: 'no-such-host-anywhere', groupIds: [], assetIds: [], excludeAssetIds: [] } },
      ],
    ];
    for (const [message, over] of rejected) {
      const e = await call<ErrorEnvelope>(w.apiKey, 'POST', `${policy}/tasks`, 422, taskBody(w, over));
      expect(e.error.message).toContain(message);
    }
    expect((await call<TPlaybookTaskPage>(w.apiKey, 'GET', '/v1/playbook/tasks', 200)).items).toEqual([]);
  });
});

describe('Playbook routes: 409 rules follow the task’s state', () => {
  it('policy in use, pause while Waiting, rerun before the end, cancel after it, rerun with nothing failed', async () => {
    const w = await world({ prefix: 'cc', assets: 2, vulnerabilitiesPerAsset: 1, withoutAgents: true });
    const policy = `/v1/playbook/policies/${w.fleet.policyId}`;
    const task = await createWaiting(w);
    expect(task.status).toBe('Waiting');
    const t = `/v1/playbook/tasks/${task.id}`;

    const inUse = await call<ErrorEnvelope>(w.apiKey, 'DELETE', policy, 409);
    expect(inUse.error.details).toEqual({ tasks: [{ id: task.id, status: 'Waiting' }] });
    expect((await call<ErrorEnvelope>(w.apiKey, 'POST', `${t}/pause`, 409)).error.message).toContain(
      'only a Progressing task can be paused',
    );
    expect((await call<ErrorEnvelope>(w.apiKey, 'POST', `${t}/rerun`, 409)).error.message).toContain(
      'only an ended task can be rerun',
    );

    const cancelled = await call<TPlaybookTaskControlResult>(w.apiKey, 'POST', `${t}/cancel`, 200);
    expect(cancelled).toEqual({ status: 'Cancelled', executions: 1 });
    expect((await call<ErrorEnvelope>(w.apiKey, 'POST', `${t}/cancel`, 409)).error.message).toContain(
      'already ended',
    );
    expect((await call<ErrorEnvelope>(w.apiKey, 'POST', `${t}/rerun`, 409)).error.message).toContain(
      'no failed assets',
    );
    const assets = await call<TPlaybookTaskAssetPage>(w.apiKey, 'GET', `${t}/assets`, 200);
    expect(assets.items.map((a) => a.status)).toEqual(['Cancelled', 'Cancelled']);
    // The policy is free again once its task ended.
    await call<null>(w.apiKey, 'DELETE', policy, 204);
  });
});

describe('Playbook routes: a task’s assets', () => {
  it('come a page in one statement, each with its vulnerabilities as the vulnerability list shows them', async () => {
    const w = await world({ prefix: 'ta', assets: 3, vulnerabilitiesPerAsset: 3, withoutAgents: true });
    const task = await createWaiting(w);
    const t = `/v1/playbook/tasks/${task.id}`;
    let page: TPlaybookTaskAssetPage = { items: [], nextCursor: null };
    // The task, then its page of assets with their vulnerabilities.
    const statements = await fewestStatements(
      ctx().database,
      async () => {
        page = await call<TPlaybookTaskAssetPage>(w.apiKey, 'GET', `${t}/assets`, 200);
      },
      2,
    );
    expect(statements).toBe(2);
    expect(page.items).toHaveLength(3);
    const detail = await call<TPlaybookTaskDetail>(w.apiKey, 'GET', t, 200);
    expect(detail.assets).toEqual(page.items);
    interface Listed {
      id: string;
      name: string;
      title: string;
      type: string;
      latestScanAt: string;
    }
    for (const a of page.items) {
      const listed = await call<{ items: Listed[] }>(
        w.apiKey,
        'GET',
        `/v1/vulnerabilities?assetId=${a.id}`,
        200,
      );
      const expected = listed.items
        .map((v) => ({ id: v.id, name: v.name, title: v.title, type: v.type, latestScanAt: v.latestScanAt }))
        .sort((x, y) => (x.id < y.id ? -1 : 1));
      expect(a.vulnerabilities.map(({ status: _, ...v }) => v)).toEqual(expected);
      expect(a.vulnerabilities.every((v) => v.status === 'pending')).toBe(true);
      expect(a.latestScanAt).toBe(
        expected
          .map((v) => v.latestScanAt)
          .sort()
          .at(-1),
      );
    }
  });
});

describe('Playbook routes: lists page through the shared cursor', () => {
  it('tasks newest first and logs in order, a page at a time', async () => {
    const w = await world({ prefix: 'cl', assets: 1, vulnerabilitiesPerAsset: 1, withoutAgents: true });
    const first = await createWaiting(w);
    const second = await createWaiting(w);
    const page1 = await call<TPlaybookTaskPage>(w.apiKey, 'GET', '/v1/playbook/tasks?limit=1', 200);
    expect(page1.items.map((x) => x.id)).toEqual([second.id]);
    expect(page1.nextCursor).not.toBeNull();
    const page2 = await call<TPlaybookTaskPage>(
      w.apiKey,
      'GET',
      `/v1/playbook/tasks?limit=1&cursor=${page1.nextCursor ?? ''}`,
      200,
    );
    expect(page2.items.map((x) => x.id)).toEqual([first.id]);
    expect(page2.nextCursor).toBeNull();
    const logs = await call<TPlaybookTaskLogPage>(
      w.apiKey,
      'GET',
      `/v1/playbook/tasks/${first.id}/logs?limit=500`,
      200,
    );
    expect(logs.nextCursor).toBeNull();
    const bad = await call<ErrorEnvelope>(w.apiKey, 'GET', '/v1/playbook/tasks?cursor=not-a-cursor', 400);
    expect(bad.error.code).toBe('bad_request');
  });
});
