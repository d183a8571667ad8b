import { describe, expect, it, vi } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { agentJobs } from '../../db/schema/agents.js';
import {
  api,
  createTask,
  getTask,
  isFinal,
  inSeconds,
  usePlaybookWorlds,
  waitForRunningFixJobs,
  waitForTask,
} from './helpers.js';
import { playbookTaskWorkflow } from '../../workflows/playbook/task.js';
import { recordHistories } from './histories.js';

// A shared 2-core machine can be slow: host work, timers and polling get room (tests still poll, never sleep).
vi.setConfig({ testTimeout: 400_000 });

const playbook = usePlaybookWorlds();
const world = playbook.world;

describe('Playbook: windows, cancel, pause and resume', () => {
  it('a windowed task waits (Waiting), then runs (Progressing) and succeeds', async () => {
    const w = await world({
      prefix: 'win',
      assets: 2,
      vulnerabilitiesPerAsset: 1,
      policy: { heartbeatTimeoutSeconds: 5 },
    });
    const t = await createTask(w, {
      execution: { mode: 'window', start: inSeconds(3), end: inSeconds(120), timeZone: 'Asia/Shanghai' },
    });
    expect(t.status).toBe('Waiting');
    const progressing = await waitForTask(w, t.id, (x) => x.status !== 'Waiting');
    expect(['Progressing', 'Succeeded']).toContain(progressing.status);
    expect((await waitForTask(w, t.id, isFinal)).status).toBe('Succeeded');
  });

  it('refuses windows that are over, inverted or in an unknown zone (422)', async () => {
    const w = await world({ prefix: 'bad', assets: 1, vulnerabilitiesPerAsset: 1, withoutAgents: true });
    const body = (execution: unknown) => ({
      name: 'x',
      assets: { assetIds: w.fleet.assets.map((a) => a.id) },
      vulnerabilityIds: w.fleet.vulnerabilityIds,
      execution,
    });
    for (const execution of [
      { mode: 'window', start: '2020-01-01T02:00', end: '2020-01-01T04:00', timeZone: 'UTC' },
      { mode: 'window', start: '2030-01-01T04:00', end: '2030-01-01T02:00', timeZone: 'UTC' },
      { mode: 'window', start: '2030-01-01T02:00', end: '2030-01-01T04:00', timeZone: 'Mars/Olympus' },
    ]) {
      await api(w, 'POST', `/v1/playbook/policies/${w.fleet.policyId}/tasks`, body(execution), 422);
    }
  });

  it('cancel while Waiting ends Cancelled at once', async () => {
    const w = await world({ prefix: 'cw', assets: 1, vulnerabilitiesPerAsset: 1, withoutAgents: true });
    const t = await createTask(w, {
      execution: { mode: 'window', start: inSeconds(600), end: inSeconds(1200), timeZone: 'UTC' },
    });
    const r = await api<{ status: string }>(w, 'POST', `/v1/playbook/tasks/${t.id}/cancel`, undefined, 200);
    expect(r.status).toBe('Cancelled');
    const after = await getTask(w, t.id);
    expect(after.status).toBe('Cancelled');
    expect(after.assets[0]).toMatchObject({ status: 'Cancelled', reason: 'cancelled by operator' });
    await api(w, 'POST', `/v1/playbook/tasks/${t.id}/cancel`, undefined, 409);
    await playbook.ctx().services.temporal.workflow.getHandle(`playbook-task:${t.id}`).result();
    await recordHistories(playbook.ctx().services.temporal, 'playbook-cancel-waiting', [
      `playbook-task:${t.id}`,
    ]);
  });

  it('cancel while Progressing: Cancelling, running agent jobs see it, then Cancelled', async () => {
    const w = await world({
      prefix: 'cp',
      assets: 4,
      vulnerabilitiesPerAsset: 1,
      agent: { latencyMs: 4000, heartbeatIntervalMs: 300 },
      policy: { maxConcurrency: 2, heartbeatTimeoutSeconds: 5 },
    });
    const t = await createTask(w);
    // Wait until two fix jobs are running on agents.
    await waitForRunningFixJobs(w, 2, 'fix jobs did not start');
    const r = await api<{ status: string }>(w, 'POST', `/v1/playbook/tasks/${t.id}/cancel`, undefined, 200);
    expect(r.status).toBe('Cancelling');
    const done = await waitForTask(w, t.id, isFinal);
    expect(done.status).toBe('Cancelled');
    expect(done.assets.map((a) => a.status).sort()).toEqual([
      'Cancelled',
      'Cancelled',
      'Cancelled',
      'Cancelled',
    ]);
    const jobs = await playbook
      .ctx()
      .database.db.select()
      .from(agentJobs)
      .where(and(eq(agentJobs.accountId, w.accountId), eq(agentJobs.kind, 'fix')));
    expect(jobs.map((j) => j.status)).toEqual(['cancelled', 'cancelled']);
    const agentCancelled = [...w.fleet.agents.values()].reduce((n, a) => n + a.stats().cancelled, 0);
    expect(agentCancelled).toBe(2);
  });

  it('pause stops dispatching, resume restarts it', async () => {
    const w = await world({
      prefix: 'pr',
      assets: 4,
      vulnerabilitiesPerAsset: 1,
      agent: { latencyMs: 600 },
      policy: { maxConcurrency: 1, heartbeatTimeoutSeconds: 5 },
    });
    const t = await createTask(w);
    await waitForTask(w, t.id, (x) => x.assets.some((a) => a.status === 'Running'));
    expect(
      (await api<{ status: string }>(w, 'POST', `/v1/playbook/tasks/${t.id}/pause`, undefined, 200)).status,
    ).toBe('Paused');
    await api(w, 'POST', `/v1/playbook/tasks/${t.id}/pause`, undefined, 409);
    // The running asset finishes; no new one starts while paused.
    const settled = await waitForTask(w, t.id, (x) => !x.assets.some((a) => a.status === 'Running'), 20_000);
    const started = settled.assets.filter((a) => a.status !== 'Pending').length;
    await new Promise((r) => setTimeout(r, 1500));
    const still = await getTask(w, t.id);
    expect(still.status).toBe('Paused');
    expect(still.assets.filter((a) => a.status !== 'Pending').length).toBe(started);
    expect(started).toBeLessThan(4);
    expect(
      (await api<{ status: string }>(w, 'POST', `/v1/playbook/tasks/${t.id}/resume`, undefined, 200)).status,
    ).toBe('Progressing');
    expect((await waitForTask(w, t.id, isFinal)).status).toBe('Succeeded');
  });

  it('cancel by signal and by Temporal’s own cancellation end like the update', async () => {
    for (const how of ['signal', 'temporal'] as const) {
      const w = await world({
        prefix: `c${how}`,
        assets: 1,
        vulnerabilitiesPerAsset: 1,
        withoutAgents: true,
      });
      const t = await createTask(w, {
        execution: { mode: 'window', start: inSeconds(600), end: inSeconds(1200), timeZone: 'UTC' },
      });
      const handle = playbook.ctx().services.temporal.workflow.getHandle(`playbook-task:${t.id}`);
      if (how === 'signal') await handle.signal('cancel');
      else await handle.cancel();
      const done = await waitForTask(w, t.id, isFinal);
      expect(done.status).toBe('Cancelled');
      expect(done.assets[0]).toMatchObject({ status: 'Cancelled', reason: 'cancelled by operator' });
      expect(await handle.result()).toEqual({ status: 'Cancelled' });
    }
  });

  it('Temporal’s cancellation delivered with the start still ends the task Cancelled in the database', async () => {
    const w = await world({ prefix: 'cearly', assets: 1, vulnerabilitiesPerAsset: 1, withoutAgents: true });
    const t = await createTask(w, {
      execution: { mode: 'window', start: inSeconds(600), end: inSeconds(1200), timeZone: 'UTC' },
    });
    // Replace the run the API started with one whose first workflow task comes only after the cancel request, so
    // both arrive in its first activation (a cancel from the Temporal UI right after creation, on a slow worker).
    const workflowId = `playbook-task:${t.id}`;
    const first = playbook.ctx().services.temporal.workflow.getHandle(workflowId);
    await first.terminate('test: replaced by a delayed start');
    const handle = await playbook.ctx().services.temporal.workflow.start(playbookTaskWorkflow, {
      workflowId,
      taskQueue: playbook.ctx().services.taskQueues.playbook,
      args: [{ taskId: t.id, accountId: w.accountId, policyId: w.fleet.policyId, execution: 1 }],
      startDelay: '2s',
    });
    await handle.cancel();
    const done = await waitForTask(w, t.id, isFinal);
    expect(done.status).toBe('Cancelled');
    expect(await handle.result()).toEqual({ status: 'Cancelled' });
  });

  it('another account sees 404 on every playbook route', async () => {
    const w = await world({ prefix: 'ten', assets: 1, vulnerabilitiesPerAsset: 1, withoutAgents: true });
    const t = await createTask(w, {
      execution: { mode: 'window', start: inSeconds(600), end: inSeconds(1200), timeZone: 'UTC' },
    });
    const other = await playbook.ctx().createAccount('Other');
    const routes: [string, string, unknown?][] = [
      ['GET', `/v1/playbook/policies/${w.fleet.policyId}`],
      ['PATCH', `/v1/playbook/policies/${w.fleet.policyId}`, { name: 'x' }],
      ['DELETE', `/v1/playbook/policies/${w.fleet.policyId}`],
      [
        'POST',
        `/v1/playbook/policies/${w.fleet.policyId}/tasks`,
        {
          name: 'x',
          assets: { assetIds: [w.fleet.assets[0]?.id] },
          vulnerabilityIds: w.fleet.vulnerabilityIds,
          execution: { mode: 'now' },
        },
      ],
      ['GET', `/v1/playbook/tasks/${t.id}`],
      ['GET', `/v1/playbook/tasks/${t.id}/assets`],
      ['GET', `/v1/playbook/tasks/${t.id}/logs`],
      ['GET', `/v1/playbook/tasks/${t.id}/flow?format=svg`],
      ['POST', `/v1/playbook/tasks/${t.id}/cancel`],
      ['POST', `/v1/playbook/tasks/${t.id}/pause`],
      ['POST', `/v1/playbook/tasks/${t.id}/resume`],
      ['POST', `/v1/playbook/tasks/${t.id}/rerun`],
    ];
    for (const [method, path, body] of routes) {
      const res = await playbook.ctx().request(method, path, { key: other.apiKey, body });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const list = await playbook.ctx().request('GET', '/v1/playbook/tasks', { key: other.apiKey });
    expect(((await list.json()) as { items: unknown[] }).items).toEqual([]);
    // The owner's policy cannot be deleted while the task waits.
    await api(w, 'DELETE', `/v1/playbook/policies/${w.fleet.policyId}`, undefined, 409);
    await api(w, 'POST', `/v1/playbook/tasks/${t.id}/cancel`, undefined, 200);
    await api(w, 'DELETE', `/v1/playbook/policies/${w.fleet.policyId}`, undefined, 204);
  });
});
