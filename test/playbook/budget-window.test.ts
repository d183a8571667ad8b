import { describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import { agentJobs } from '../../db/schema/agents.js';
import {
  api,
  createTask,
  isFinal,
  inSeconds,
  usePlaybookWorlds,
  waitForRunningFixJobs,
  waitForTask,
  type TaskDto,
} from './helpers.js';

// A shared 2-core machine can be slow: host work, timers and polling get room (tests still poll, never sleep).
vi.setConfig({ testTimeout: 400_000 });

const playbook = usePlaybookWorlds();
const world = playbook.world;
const byStatus = (t: TaskDto) =>
  t.assets.reduce<Record<string, number>>((m, a) => ({ ...m, [a.status]: (m[a.status] ?? 0) + 1 }), {});

describe('Playbook: the exact error budget', () => {
  // Every fix fails and one asset runs at a time, so the budget alone decides how many assets start.
  for (const [maxErrors, assets, expectedFailed] of [
    [0, 5, 1],
    [2, 6, 3],
    ['20%', 10, 3], // 20% of 10 = 2 → stops once 3 have failed
  ] as const) {
    it(`maxErrors ${maxErrors} on ${assets} failing assets: ${expectedFailed} fail, the rest are Skipped (error budget)`, async () => {
      const w = await world({
        prefix: `eb${String(maxErrors).replace('%', 'p')}`,
        assets,
        vulnerabilitiesPerAsset: 1,
        agent: { latencyMs: 0, failureRate: 1 },
        policy: { maxConcurrency: 1, maxErrors, retriesPerFix: 0, heartbeatTimeoutSeconds: 5 },
      });
      const t = await waitForTask(w, (await createTask(w)).id, isFinal);
      expect(t.status).toBe('Failed');
      expect(byStatus(t)).toEqual({ Failed: expectedFailed, Skipped: assets - expectedFailed });
      expect(t.assets.filter((a) => a.status === 'Skipped').every((a) => a.reason === 'error budget')).toBe(
        true,
      );
      expect(t.assets.find((a) => a.status === 'Failed')?.reason).toMatch(
        /fix failed — USN-7000-1: exit code 1/,
      );

      // Rerun: a new execution of the failed assets only.
      const rerun = await api<{ status: string; executions: number }>(
        w,
        'POST',
        `/v1/playbook/tasks/${t.id}/rerun`,
        undefined,
        200,
      );
      expect(rerun).toEqual({ status: 'Progressing', executions: 2 });
      const again = await waitForTask(w, t.id, isFinal);
      expect(again.executions).toBe(2);
      expect(again.assets).toHaveLength(expectedFailed);
    });
  }
});

describe('Playbook: cutoff, window end and dead agents', () => {
  it('no asset starts after end − cutoff: the rest end Skipped (window closed)', async () => {
    const w = await world({
      prefix: 'cut',
      assets: 6,
      vulnerabilitiesPerAsset: 1,
      agent: { latencyMs: 5000 },
      policy: { maxConcurrency: 1, cutoffMinutes: 1, heartbeatTimeoutSeconds: 10 },
    });
    // Window opens in 1 s, ends in 80 s; the cutoff (1 min before the end) falls ~20 s from now, while each asset
    // takes ~7 s (precheck, fix, verify): some assets run, the others never start.
    const t = await createTask(w, {
      execution: { mode: 'window', start: inSeconds(1), end: inSeconds(80), timeZone: 'Europe/Berlin' },
    });
    const done = await waitForTask(w, t.id, isFinal);
    const counts = byStatus(done);
    expect(counts.Succeeded ?? 0).toBeGreaterThanOrEqual(1);
    expect(counts.Skipped ?? 0).toBeGreaterThanOrEqual(1);
    expect((counts.Succeeded ?? 0) + (counts.Skipped ?? 0)).toBe(6);
    expect(done.assets.filter((a) => a.status === 'Skipped').every((a) => a.reason === 'window closed')).toBe(
      true,
    );
    expect(done.status).toBe('PartiallyFailed');
  });

  it('windowEnd cancel: at the end running assets are cancelled, untouched ones skipped', async () => {
    const w = await world({
      prefix: 'wend',
      assets: 3,
      vulnerabilitiesPerAsset: 1,
      agent: { latencyMs: 30_000, heartbeatIntervalMs: 300 },
      policy: { maxConcurrency: 1, windowEnd: 'cancel', heartbeatTimeoutSeconds: 5 },
    });
    const t = await createTask(w, {
      execution: { mode: 'window', start: inSeconds(1), end: inSeconds(8), timeZone: 'UTC' },
    });
    const done = await waitForTask(w, t.id, isFinal);
    expect(byStatus(done)).toEqual({ Cancelled: 1, Skipped: 2 });
    expect(done.assets.every((a) => a.reason === 'window closed')).toBe(true);
    expect(done.status).toBe('Failed');
    // The one running agent job (precheck or fix, depending on timing) was told and ended cancelled.
    const jobs = await playbook
      .ctx()
      .database.db.select()
      .from(agentJobs)
      .where(eq(agentJobs.accountId, w.accountId));
    expect(jobs.filter((j) => j.status === 'cancelled')).toHaveLength(1);
    expect(jobs.filter((j) => j.status === 'running' || j.status === 'pending')).toHaveLength(0);
  });

  it('windowEnd cancel ends a job no agent took: cancelled at once, never handed out later', async () => {
    const w = await world({
      prefix: 'wpend',
      assets: 1,
      vulnerabilitiesPerAsset: 1,
      policy: { windowEnd: 'cancel', heartbeatTimeoutSeconds: 600 },
    });
    // The host stays online (seen a moment ago) but stops polling: its precheck job waits, pending.
    await w.fleet.stop();
    const t = await createTask(w, {
      execution: { mode: 'window', start: inSeconds(1), end: inSeconds(5), timeZone: 'UTC' },
    });
    const done = await waitForTask(w, t.id, isFinal);
    expect(byStatus(done)).toEqual({ Cancelled: 1 });
    // Ended at the window's end, not at the activity's 10-minute heartbeat timeout, and the job row says so: an agent
    // polling later cannot claim it.
    const jobs = await playbook
      .ctx()
      .database.db.select()
      .from(agentJobs)
      .where(eq(agentJobs.accountId, w.accountId));
    expect(jobs.map((j) => ({ kind: j.kind, status: j.status, claimedAt: j.claimedAt }))).toEqual([
      { kind: 'precheck', status: 'cancelled', claimedAt: null },
    ]);
  });

  it('a dead agent fails its step by heartbeat timeout', async () => {
    const w = await world({
      prefix: 'dead',
      assets: 1,
      vulnerabilitiesPerAsset: 1,
      agent: { latencyMs: 60_000, heartbeatIntervalMs: 300 },
      policy: { retriesPerFix: 0, heartbeatTimeoutSeconds: 2 },
    });
    const t = await createTask(w);
    await waitForRunningFixJobs(w, 1, 'the fix job never started');
    await w.fleet.stop(); // like a killed host: no result, no more heartbeats
    const done = await waitForTask(w, t.id, isFinal);
    expect(done.status).toBe('Failed');
    expect(done.assets[0]?.reason).toMatch(/stopped sending heartbeats/);
  });
});
