import type { DatabaseHandle } from '../../db/client.js';

/**
 * Wakes long polls waiting for work on an asset. Jobs created in this process (embedded mode, tests) wake their
 * agent at once; jobs created by another process (separate worker, other API replicas) are found by one shared
 * database probe per database and interval, however many agents are waiting.
 */
export interface PendingProbe {
  /** The assets that have claimable jobs (the notifier wakes the polls waiting on any of them). */
  pendingAssets(): Promise<string[]>;
  onError(err: unknown): void;
}

/**
 * What ends a wait early: an `AbortSignal`, or anything as small that says the same (the lean long poll's response,
 * api/agent-poll-listener.ts, which spares each waiting poll an AbortController and its EventTarget).
 */
export interface WaitSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

interface Waiter {
  assetId: string;
  probe: PendingProbe;
  wake: () => void;
}

const waiters = new Map<string, Set<Waiter>>();
/** Waiting polls per probe: the probes to run, without walking every waiter. */
const probeWaiters = new Map<PendingProbe, number>();
let probeTimer: NodeJS.Timeout | null = null;
let probing = false;
let subscriptions = 0;

/** How often waiting long polls re-check the database for jobs created elsewhere. */
export const PENDING_PROBE_INTERVAL_MS = 1000;
/** With Postgres notifications the probe is only a safety net (a notification lost while the listener reconnects). */
export const PENDING_PROBE_INTERVAL_NOTIFIED_MS = 10_000;
/** The Postgres channel a worker notifies when it records a job (payload: the asset id). */
export const AGENT_JOB_CHANNEL = 'vigil_agent_jobs';

/**
 * Postgres only: wakes this process's long polls when another process (a separate worker) records a job, instead of
 * waiting for the next probe. Returns the unsubscribe. On PGlite (one process) there is nothing to subscribe to.
 */
export async function subscribeToJobNotifications(
  listen: DatabaseHandle['listen'],
): Promise<() => Promise<void>> {
  if (!listen) return async () => undefined;
  const unlisten = await listen(AGENT_JOB_CHANNEL, (assetId) => notifyJobCreated(assetId));
  subscriptions++;
  restartProbe();
  return async () => {
    subscriptions--;
    restartProbe();
    await unlisten();
  };
}

/**
 * Marks the wake-ups per asset, so that a poll that looked at the database sees one that came meanwhile: the value
 * of a process-wide counter at the asset's last wake-up, or `generationFloor` for assets without an entry.
 */
const generations = new Map<string, number>();
let generationCounter = 0;
let generationFloor = 0;
/**
 * Assets with a generation of their own at most: past it every entry goes and the floor moves past every value
 * handed out, so each asset reads as woken once (its next poll looks at the database) and memory stays bounded in a
 * process that sees assets come and go.
 */
export const JOB_GENERATIONS_MAX = 100_000;

/** Read before looking for claimable jobs; pass to `waitForJob` as `since`. */
export function jobGeneration(assetId: string): number {
  return generations.get(assetId) ?? generationFloor;
}

/** Called after a job row for `assetId` is committed. */
export function notifyJobCreated(assetId: string): void {
  if (generations.size >= JOB_GENERATIONS_MAX && !generations.has(assetId)) {
    generations.clear();
    emptyLooks.clear();
    generationFloor = ++generationCounter;
  }
  generations.set(assetId, ++generationCounter);
  for (const w of waiters.get(assetId) ?? []) w.wake();
}

/** How long a poll's finding "nothing held, nothing claimable" stands in for the next polls' database look. */
export const EMPTY_LOOK_TRUST_MS = 60_000;
/**
 * The same while this process hears the workers' notifications (Postgres): a lost notification is found by the
 * pending probe within `PENDING_PROBE_INTERVAL_NOTIFIED_MS` anyway, and at 10,000 idle agents a one-minute trust
 * still cost ~170 queries a second.
 */
export const EMPTY_LOOK_TRUST_NOTIFIED_MS = 5 * 60_000;
const emptyLooks = new Map<string, { generation: number; at: number }>();
/** Empty looks kept at most (one per polling asset): past it, those older than the longest trust go first. */
export const EMPTY_LOOKS_MAX = 100_000;

/**
 * Whether every job recorded for an asset reaches `notifyJobCreated` in this process: always on PGlite (the worker
 * runs in this process), on Postgres while subscribed to the workers' notifications.
 */
function jobWakeupsComplete(driver: 'pglite' | 'postgres'): boolean {
  return driver === 'pglite' || subscriptions > 0;
}

/** A look at the database that began at `generation` found nothing held by the agent and nothing claimable. */
export function rememberEmptyLook(assetId: string, generation: number): void {
  const now = Date.now();
  if (emptyLooks.size >= EMPTY_LOOKS_MAX && !emptyLooks.has(assetId)) {
    for (const [id, look] of emptyLooks)
      if (now - look.at > EMPTY_LOOK_TRUST_NOTIFIED_MS) emptyLooks.delete(id);
    // All recent (a fleet larger than the bound): the oldest go, their agents' next polls look at the database.
    for (const id of emptyLooks.keys()) {
      if (emptyLooks.size < EMPTY_LOOKS_MAX * 0.9) break;
      emptyLooks.delete(id);
    }
  }
  emptyLooks.set(assetId, { generation, at: now });
}

/** The agent took a job (or may hold one): its next poll looks at the database. */
export function forgetEmptyLook(assetId: string): void {
  emptyLooks.delete(assetId);
}

/**
 * True when a poll may skip its database look: wake-ups are complete, an earlier look found nothing, no job came
 * for the asset since (same generation) and that look is recent (a bound for a notification lost while the listener
 * reconnected). An idle fleet's polls then cost no query at all.
 */
export function knownEmpty(assetId: string, driver: 'pglite' | 'postgres'): boolean {
  const look = emptyLooks.get(assetId);
  if (!look || !jobWakeupsComplete(driver)) return false;
  const trust = driver === 'postgres' ? EMPTY_LOOK_TRUST_NOTIFIED_MS : EMPTY_LOOK_TRUST_MS;
  if (look.generation !== jobGeneration(assetId) || Date.now() - look.at > trust) {
    emptyLooks.delete(assetId);
    return false;
  }
  return true;
}

/** Long polls waiting in this process, the assets they wait for, and the per-asset entries kept (bounds tests check). */
export function waitingPolls(): { polls: number; assets: number; generations: number; emptyLooks: number } {
  let polls = 0;
  for (const set of waiters.values()) polls += set.size;
  return { polls, assets: waiters.size, generations: generations.size, emptyLooks: emptyLooks.size };
}

/**
 * Resolves `true` when a job for the asset may be available, `false` when the wait is over or aborted. With `since`
 * (a `jobGeneration` read before the caller's last database look) a wake-up that came in between returns at once.
 */
export function waitForJob(opts: {
  assetId: string;
  waitMs: number;
  probe: PendingProbe;
  signal?: WaitSignal;
  since?: number;
}): Promise<boolean> {
  if (opts.since !== undefined && jobGeneration(opts.assetId) !== opts.since) return Promise.resolve(true);
  // A poll whose client went away before it waited is never registered, so it never counts as waiting.
  if (opts.signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    let done = false;
    const finish = (woken: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      const set = waiters.get(opts.assetId);
      set?.delete(waiter);
      if (set?.size === 0) waiters.delete(opts.assetId);
      const left = (probeWaiters.get(opts.probe) ?? 1) - 1;
      if (left > 0) probeWaiters.set(opts.probe, left);
      else probeWaiters.delete(opts.probe);
      if (waiters.size === 0) stopProbe();
      resolve(woken);
    };
    const waiter: Waiter = { assetId: opts.assetId, probe: opts.probe, wake: () => finish(true) };
    const onAbort = () => finish(false);
    const timer = setTimeout(() => finish(false), opts.waitMs);
    opts.signal?.addEventListener('abort', onAbort);
    const set = waiters.get(opts.assetId) ?? new Set<Waiter>();
    set.add(waiter);
    waiters.set(opts.assetId, set);
    probeWaiters.set(opts.probe, (probeWaiters.get(opts.probe) ?? 0) + 1);
    startProbe();
  });
}

function startProbe(): void {
  if (probeTimer) return;
  const interval = subscriptions > 0 ? PENDING_PROBE_INTERVAL_NOTIFIED_MS : PENDING_PROBE_INTERVAL_MS;
  probeTimer = setInterval(() => void runProbes(), interval);
  probeTimer.unref();
}

function restartProbe(): void {
  if (!probeTimer) return;
  stopProbe();
  startProbe();
}

function stopProbe(): void {
  if (probeTimer) clearInterval(probeTimer);
  probeTimer = null;
}

/**
 * Asks each probe with waiting polls for the assets with claimable jobs and wakes the polls waiting on them through
 * that probe. The work is the pending jobs', not the waiting polls': ten thousand idle agents cost one statement and
 * no walk over their waits.
 */
async function runProbes(): Promise<void> {
  if (probing || probeWaiters.size === 0) return;
  probing = true;
  try {
    await Promise.all(
      [...probeWaiters.keys()].map(async (probe) => {
        try {
          for (const assetId of await probe.pendingAssets()) {
            for (const w of waiters.get(assetId) ?? []) {
              if (w.probe !== probe) continue;
              notifyJobCreated(assetId);
              break;
            }
          }
        } catch (err) {
          probe.onError(err);
        }
      }),
    );
  } finally {
    probing = false;
  }
}
