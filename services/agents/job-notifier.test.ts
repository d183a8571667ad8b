import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  JOB_GENERATIONS_MAX,
  jobGeneration,
  knownEmpty,
  notifyJobCreated,
  rememberEmptyLook,
  waitForJob,
  waitingPolls,
  type PendingProbe,
} from './job-notifier.js';

const probe: PendingProbe = { find: async () => [], onError: () => undefined };

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
});
