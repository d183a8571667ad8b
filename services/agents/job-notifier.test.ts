import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  JOB_GENERATIONS_MAX,
  jobGeneration,
  knownEmpty,
  notifyJobCreated,
  PENDING_PROBE_INTERVAL_MS,
  rememberEmptyLook,
  waitForJob,
  waitingPolls,
  type PendingProbe,
} from './job-notifier.js';

const probe: PendingProbe = { pendingAssets: async () => [], onError: () => undefined };

afterEach(() => vi.useRealTimers());

describe('waiting long polls', () => {
  it('leave no waiter behind however they end: woken, timed out or aborted', async () => {
    vi.useFakeTimers();
    const asset = `asset-${Date.now()}`;
    const aborter = new AbortController();
    const woken = waitForJob({ assetId: asset, waitMs: 30_000, probe });
    const timedOut = waitForJob({ assetId: `${asset}-2`, waitMs: 1_000, probe });
    const aborted = waitForJob({ assetId: `${asset}-3`, waitMs: 30_000, probe, signal: aborter.signal });
    expect(waitingPolls()).toMatchObject({ polls: 3, assets: 3 });
    notifyJobCreated(asset);
    expect(await woken).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await timedOut).toBe(false);
    aborter.abort();
    expect(await aborted).toBe(false);
    expect(waitingPolls()).toMatchObject({ polls: 0, assets: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('share one entry per asset, and an aborted signal never registers', async () => {
    const asset = `asset-shared-${Date.now()}`;
    const polls = Array.from({ length: 100 }, () => waitForJob({ assetId: asset, waitMs: 30_000, probe }));
    expect(waitingPolls()).toMatchObject({ polls: 100, assets: 1 });
    expect(await waitForJob({ assetId: asset, waitMs: 30_000, probe, signal: AbortSignal.abort() })).toBe(
      false,
    );
    expect(waitingPolls().polls).toBe(100);
    notifyJobCreated(asset);
    expect(await Promise.all(polls)).toEqual(Array.from({ length: 100 }, () => true));
    expect(waitingPolls()).toMatchObject({ polls: 0, assets: 0 });
  });

  it('keep per-asset wake-up marks bounded, and a mark dropped never hides a job', () => {
    const old = `asset-old-${Date.now()}`;
    const since = jobGeneration(old);
    rememberEmptyLook(old, since);
    expect(knownEmpty(old, 'pglite')).toBe(true);
    // Assets come and go: far more of them get jobs than the bound.
    for (let i = 0; i <= JOB_GENERATIONS_MAX; i++) notifyJobCreated(`asset-churn-${i}`);
    expect(waitingPolls().generations).toBeLessThanOrEqual(JOB_GENERATIONS_MAX);
    // The marks were dropped: the old asset's earlier look is not trusted, and a poll that read its generation
    // before the drop looks at the database again instead of waiting.
    expect(jobGeneration(old)).not.toBe(since);
    expect(knownEmpty(old, 'pglite')).toBe(false);
  });

  it('are woken by a probe of the jobs recorded elsewhere, only where it reports one, at one look per interval', async () => {
    vi.useFakeTimers();
    const stamp = Date.now();
    const pending = `asset-probe-pending-${stamp}`;
    const idle = `asset-probe-idle-${stamp}`;
    const unwaited = `asset-probe-unwaited-${stamp}`;
    let looks = 0;
    let answer: () => Promise<string[]> = async () => [];
    const errors: unknown[] = [];
    const elsewhere: PendingProbe = {
      pendingAssets: () => {
        looks++;
        return answer();
      },
      onError: (err) => errors.push(err),
    };
    const waitOn = (assetId: string) => waitForJob({ assetId, waitMs: 60_000, probe: elsewhere });
    const onPending = waitOn(pending);
    const onIdle = Array.from({ length: 100 }, () => waitOn(idle));
    // Another probe's asset: a job this probe reports for it is not this probe's to wake.
    const otherProbe = waitForJob({ assetId: unwaited, waitMs: 60_000, probe });
    await vi.advanceTimersByTimeAsync(PENDING_PROBE_INTERVAL_MS);
    expect(looks).toBe(1);
    expect(waitingPolls().polls).toBe(102);
    // Polls whose clients went away before they waited never count: the probe still has its 101 to look for.
    for (let i = 0; i < 101; i++)
      expect(
        await waitForJob({ assetId: idle, waitMs: 60_000, probe: elsewhere, signal: AbortSignal.abort() }),
      ).toBe(false);

    // A failed look is reported and wakes nobody; the polls keep waiting for the next one.
    answer = () => Promise.reject(new Error('connection lost'));
    await vi.advanceTimersByTimeAsync(PENDING_PROBE_INTERVAL_MS);
    expect(errors).toHaveLength(1);
    expect(waitingPolls().polls).toBe(102);

    answer = async () => [pending, unwaited];
    await vi.advanceTimersByTimeAsync(PENDING_PROBE_INTERVAL_MS);
    expect(looks).toBe(3);
    expect(await onPending).toBe(true);
    expect(waitingPolls()).toMatchObject({ polls: 101, assets: 2 });

    notifyJobCreated(idle);
    expect(await Promise.all(onIdle)).toEqual(onIdle.map(() => true));
    // None of its polls waits any more: that probe is not asked again, while another probe's poll waits on.
    await vi.advanceTimersByTimeAsync(3 * PENDING_PROBE_INTERVAL_MS);
    expect(looks).toBe(3);
    expect(waitingPolls()).toMatchObject({ polls: 1, assets: 1 });
    notifyJobCreated(unwaited);
    expect(await otherProbe).toBe(true);
    expect(waitingPolls()).toMatchObject({ polls: 0, assets: 0 });
  });
});
