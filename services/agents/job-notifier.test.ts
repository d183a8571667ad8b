import { afterEach, describe, expect, it, vi } from 'vitest';
import { notifyJobCreated, waitForJob, waitingPolls, type PendingProbe } from './job-notifier.js';

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
    expect(waitingPolls()).toEqual({ polls: 3, assets: 3 });
    notifyJobCreated(asset);
    expect(await woken).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await timedOut).toBe(false);
    aborter.abort();
    expect(await aborted).toBe(false);
    expect(waitingPolls()).toEqual({ polls: 0, assets: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('share one entry per asset, and an aborted signal never registers', async () => {
    const asset = `asset-shared-${Date.now()}`;
    const polls = Array.from({ length: 100 }, () => waitForJob({ assetId: asset, waitMs: 30_000, probe }));
    expect(waitingPolls()).toEqual({ polls: 100, assets: 1 });
    expect(await waitForJob({ assetId: asset, waitMs: 30_000, probe, signal: AbortSignal.abort() })).toBe(
      false,
    );
    expect(waitingPolls().polls).toBe(100);
    notifyJobCreated(asset);
    expect(await Promise.all(polls)).toEqual(Array.from({ length: 100 }, () => true));
    expect(waitingPolls()).toEqual({ polls: 0, assets: 0 });
  });
});
