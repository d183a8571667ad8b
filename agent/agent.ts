import type {
  AgentExecutorName,
  TAgentIdentity,
  TAgentJob,
  TJobResultRequest,
} from '../domain/agent-jobs.js';
import { backoffDelay, sleep } from './backoff.js';
import { AgentClient, AgentHttpError, ServerUnreachableError } from './client.js';
import { createExecutor, type Executor, type ExecutorOptions } from './executors/index.js';
import { JobCancelledError } from './executors/types.js';
import { detectIdentity } from './identity.js';
import { loadState, saveState } from './state.js';

export const AGENT_VERSION = '0.1.0';

/** Statuses worth retrying with backoff: the server is busy (408 request timeout, 429) or failing (5xx). */
const transient = (status: number) => status === 408 || status === 429 || status >= 500;

/** Above this many characters the result leaves the output out and relies on the streamed chunks. */
const MAX_RESULT_OUTPUT_CHARS = 4_000_000;

export interface AgentOptions {
  /** Base URL of the Vigil API, e.g. http://127.0.0.1:3000 */
  server: string;
  /** Needed for the first start (and if the stored agent token is refused); later starts reuse the stored token. */
  enrollToken?: string;
  executor: AgentExecutorName | Executor;
  executorOptions?: ExecutorOptions;
  dryRun?: boolean;
  /** Keeps the agent token, snapshots and applied configuration; null keeps the token in memory only. */
  stateDir?: string | null;
  /** Overrides of the detected host identity (in-process demo agents pretend to be many hosts). */
  identity?: Partial<Omit<TAgentIdentity, 'executor' | 'agentVersion'>>;
  /** Long-poll wait (default 30 s). */
  pollWaitSeconds?: number;
  /** Heartbeat period while a job runs (default 5 s); keep it well under the callers' heartbeat timeout. */
  heartbeatIntervalMs?: number;
  /** How often new output is streamed (default 1 s). */
  outputFlushMs?: number;
  /** Reconnect backoff (default 500 ms doubling to 30 s, with jitter). */
  backoff?: { baseMs?: number; maxMs?: number };
  onEvent?: (event: AgentEvent) => void;
}

export type AgentEvent =
  | { type: 'registered'; agentId: string; assetId: string; reused: boolean }
  | { type: 'job-started'; job: TAgentJob }
  | {
      type: 'job-finished';
      job: TAgentJob;
      status: TJobResultRequest['status'];
      exitCode: number;
      ms: number;
    }
  | { type: 'disconnected'; error: string; retryInMs: number }
  | { type: 'reconnected' }
  | { type: 'warning'; message: string };

export interface AgentStats {
  done: number;
  failed: number;
  cancelled: number;
  current: TAgentJob | null;
  connected: boolean;
}

export interface RunningAgent {
  /** Resolves once the agent holds a token (registered or reused); rejects if enrollment is refused. */
  ready: Promise<{ agentId: string; assetId: string }>;
  /** Settles when the agent stops; rejects on a fatal error (its token refused and no enrollment token). */
  done: Promise<void>;
  stats(): AgentStats;
  /**
   * Stops the agent. By default like a killed process: the running job is abandoned without a result (its step
   * fails by heartbeat timeout). `graceful` lets the running job finish and report first.
   */
  stop(opts?: { graceful?: boolean }): Promise<void>;
}

/** Runs an agent in this process over real HTTP: enroll (or reuse the stored token), poll, run, report. */
export function startAgent(options: AgentOptions): RunningAgent {
  const client = new AgentClient(options.server);
  const executor =
    typeof options.executor === 'string'
      ? createExecutor(options.executor, options.executorOptions)
      : options.executor;
  const stateDir = options.stateDir ?? null;
  const pollWait = options.pollWaitSeconds ?? 30;
  const heartbeatMs = options.heartbeatIntervalMs ?? 5_000;
  const flushMs = Math.min(options.outputFlushMs ?? 1_000, heartbeatMs);
  const emit = (e: AgentEvent) => options.onEvent?.(e);
  const stats: AgentStats = { done: 0, failed: 0, cancelled: 0, current: null, connected: false };
  const stopSignal = new AbortController();
  const abandon = new AbortController();
  let failures = 0;

  let resolveReady: (v: { agentId: string; assetId: string }) => void = () => undefined;
  let rejectReady: (err: unknown) => void = () => undefined;
  const ready = new Promise<{ agentId: string; assetId: string }>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => undefined); // observed through `done` as well

  const backoff = () => backoffDelay(failures, options.backoff);

  async function retrying<T>(what: () => Promise<T>): Promise<T | null> {
    for (;;) {
      if (abandon.signal.aborted) return null;
      try {
        const v = await what();
        if (failures > 0) emit({ type: 'reconnected' });
        failures = 0;
        stats.connected = true;
        return v;
      } catch (err) {
        if (abandon.signal.aborted) return null;
        if (
          !(err instanceof ServerUnreachableError) &&
          !(err instanceof AgentHttpError && transient(err.status))
        )
          throw err;
        failures++;
        stats.connected = false;
        const retryInMs = backoff();
        emit({ type: 'disconnected', error: err.message, retryInMs });
        await sleep(retryInMs, abandon.signal);
      }
    }
  }

  async function enroll(): Promise<void> {
    if (!options.enrollToken) {
      throw new Error('no stored agent token and no enrollment token: start with --enroll <token>');
    }
    const enrollToken = options.enrollToken;
    const identity = { ...detectIdentity(), ...options.identity };
    await executor.prepare?.();
    const registered = await retrying(() =>
      client.register({
        ...identity,
        enrollmentToken: enrollToken,
        executor: executorName(),
        capabilities: executor.capabilities(options.dryRun === true),
        agentVersion: AGENT_VERSION,
      }),
    );
    if (!registered) return;
    client.setToken(registered.agentToken);
    await saveState(stateDir, { server: options.server, ...registered });
    emit({ type: 'registered', agentId: registered.agentId, assetId: registered.assetId, reused: false });
    resolveReady({ agentId: registered.agentId, assetId: registered.assetId });
  }

  function executorName(): AgentExecutorName {
    return executor.name === 'apt' || executor.name === 'dnf' ? executor.name : 'simulate';
  }

  async function loop(): Promise<void> {
    const state = await loadState(stateDir);
    if (state) {
      client.setToken(state.agentToken);
      emit({ type: 'registered', agentId: state.agentId, assetId: state.assetId, reused: true });
      resolveReady({ agentId: state.agentId, assetId: state.assetId });
    } else {
      await enroll();
    }
    while (!stopSignal.signal.aborted) {
      let job: TAgentJob | null;
      try {
        job = await retrying(() => client.poll(pollWait, stopSignal.signal));
      } catch (err) {
        if (stopSignal.signal.aborted) break;
        if (err instanceof AgentHttpError && err.status === 401 && options.enrollToken) {
          emit({ type: 'warning', message: 'the stored agent token was refused; enrolling again' });
          await enroll();
          continue;
        }
        throw err;
      }
      if (job) await runJob(job);
    }
  }

  async function runJob(job: TAgentJob): Promise<void> {
    const started = Date.now();
    const startedAt = new Date(started).toISOString();
    stats.current = job;
    emit({ type: 'job-started', job });
    const cancel = new AbortController();
    const signal = AbortSignal.any([cancel.signal, abandon.signal]);
    let output = '';
    let sent = 0;
    let lastHeartbeat = 0;
    let busy = false;

    const first = await retrying(() =>
      client.heartbeat(job.id, { progress: { phase: 'started' } }, abandon.signal),
    ).catch((err: unknown) => {
      emit({ type: 'warning', message: `job ${job.id} dropped: ${(err as Error).message}` });
      return null;
    });
    if (!first) {
      stats.current = null;
      return;
    }
    lastHeartbeat = Date.now();
    if (first.cancel) cancel.abort();

    const pump = async () => {
      if (busy || abandon.signal.aborted) return;
      busy = true;
      const chunk = output.length > sent ? { offset: sent, data: output.slice(sent) } : undefined;
      try {
        if (Date.now() - lastHeartbeat >= heartbeatMs) {
          lastHeartbeat = Date.now();
          const answer = await client.heartbeat(
            job.id,
            { progress: { phase: 'running' }, output: chunk },
            abandon.signal,
          );
          sent = Math.min(answer.outputLength, output.length);
          if (answer.cancel) cancel.abort();
        } else if (chunk) {
          sent = (await client.output(job.id, chunk, abandon.signal)).outputLength;
        }
      } catch (err) {
        const expected =
          err instanceof AgentHttpError
            ? (err.details as { expectedOffset?: unknown } | undefined)
            : undefined;
        if (typeof expected?.expectedOffset === 'number') sent = expected.expectedOffset;
        else if (!abandon.signal.aborted)
          emit({ type: 'warning', message: `job ${job.id}: ${(err as Error).message}` });
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void pump(), flushMs);

    let exitCode: number;
    let details: Record<string, unknown> = {};
    let cancelled = false;
    try {
      if (cancel.signal.aborted) throw new JobCancelledError();
      const outcome = await executor.run(job, {
        signal,
        output: (text) => {
          output += text;
        },
        stateDir,
        dryRun: options.dryRun === true,
      });
      exitCode = outcome.exitCode;
      details = outcome.details;
    } catch (err) {
      if (err instanceof JobCancelledError || signal.aborted) {
        cancelled = true;
        exitCode = 130;
        output += '\n[vigil-agent] cancelled\n';
      } else {
        exitCode = -1;
        output += `\n[vigil-agent] error: ${(err as Error).message}\n`;
        details = { error: (err as Error).message };
      }
    } finally {
      clearInterval(timer);
    }
    if (abandon.signal.aborted) return;
    const status = cancelled ? 'cancelled' : exitCode === 0 ? 'succeeded' : 'failed';
    const body: TJobResultRequest = {
      status,
      exitCode,
      details,
      startedAt,
      ...(output.length <= MAX_RESULT_OUTPUT_CHARS ? { output } : {}),
    };
    // Counted when the host work ends, so a caller that sees the job's result also sees it counted.
    if (status === 'succeeded') stats.done++;
    else if (status === 'cancelled') stats.cancelled++;
    else stats.failed++;
    // Output too large for the result: stream what is left first.
    while (body.output === undefined && sent < output.length && !abandon.signal.aborted) {
      await pump();
      await sleep(50, abandon.signal);
    }
    try {
      await retrying(() => client.result(job.id, body, abandon.signal));
    } catch (err) {
      emit({ type: 'warning', message: `result of job ${job.id} refused: ${(err as Error).message}` });
    }
    stats.current = null;
    emit({ type: 'job-finished', job, status, exitCode, ms: Date.now() - started });
  }

  const done = loop()
    .catch((err: unknown) => {
      rejectReady(err);
      throw err;
    })
    .finally(() => client.close());

  return {
    ready,
    done,
    stats: () => ({ ...stats }),
    async stop(opts = {}) {
      rejectReady(new Error('the agent was stopped before it was ready'));
      stopSignal.abort();
      if (!opts.graceful) abandon.abort();
      await done.catch(() => undefined);
    },
  };
}
