import type { TAgentCapabilities, TAgentJob } from '../../domain/agent-jobs.js';

/** What an executor gets besides the job: cancellation, an output sink and where it may keep files. */
export interface JobContext {
  /** Aborted when the server answers a heartbeat with `cancel` (or the agent is stopped): stop the work. */
  signal: AbortSignal;
  /** Streams a piece of output to the server (and into the job's full output). */
  output(text: string): void;
  /** Where snapshots and applied configuration live; null keeps nothing on disk (in-process simulated agents). */
  stateDir: string | null;
  dryRun: boolean;
}

export interface ExecutorOutcome {
  /** 0 is success; anything else is a normal, reported failure. */
  exitCode: number;
  details: Record<string, unknown>;
}

/** One way of doing host work (apt, dnf, simulate); every kind of job goes through `run`. */
export interface Executor {
  readonly name: string;
  /** What this executor can do on its host, reported at registration (DESIGN §5: capabilities are honest). */
  capabilities(dryRun: boolean): TAgentCapabilities;
  /** Probes the host (what it can check) before the agent registers; optional. */
  prepare?(): Promise<void>;
  run(job: TAgentJob, ctx: JobContext): Promise<ExecutorOutcome>;
}

export class JobCancelledError extends Error {
  override name = 'JobCancelledError';
  constructor() {
    super('the job was cancelled');
  }
}

/** Reads a string field of a job payload. */
export function payloadString(job: TAgentJob, key: string): string | undefined {
  const v = job.payload[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Resolves after `ms`, or rejects with JobCancelledError as soon as `signal` aborts. */
export function cancellableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new JobCancelledError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new JobCancelledError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
