import { msToNumber } from '@temporalio/common/lib/time.js';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { ActivityLoggingInterceptor, installRuntime } from './logging.js';
import { workflowBundleOption } from './bundle.js';
import { TASK_QUEUE_NAMES } from './task-queues.js';

export interface VigilWorkers {
  /** Resolves when every worker has stopped; rejects if one fails. */
  run(): Promise<void>;
  /**
   * Stops polling, lets running tasks finish (up to the grace time, then cancels the activities) and waits for `run`
   * to settle: at most `SHUTDOWN_FORCE_AFTER_GRACE_MS` past the grace time, when the SDK gives up on an activity that
   * ignores its cancellation (or a poll that never returns) and `run` rejects, so what stops after the workers (the
   * database: PGlite's files) still closes within the process's shutdown budget.
   */
  shutdown(): Promise<void>;
  connection: NativeConnection;
}

export interface CreateWorkersOptions {
  deps: ActivityDeps;
  address: string;
  namespace: string;
  shutdownGraceTime?: string;
  /** Extra activities (tests add probes); merged over the built-in ones. */
  extraActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
}

/**
 * Per worker (one per task queue). The sticky workflow cache defaults to ~600 workflows per GB of V8 heap limit
 * (~2,300 on a 4 GB limit, per worker) and is held in the workflow thread, outside the main heap: a long-running
 * embedded process caching every host's scan and baseline loop grew past a gigabyte. Bounded, a workflow that falls
 * out replays its (short, continued-as-new) history on its next task.
 */
export const WORKER_TUNING = {
  maxConcurrentActivityTaskExecutions: 200,
  maxConcurrentWorkflowTaskExecutions: 100,
  maxCachedWorkflows: 150,
} as const;

/**
 * How long after the grace time a worker's shutdown gives up waiting (its activities were cancelled at the grace
 * time). Every process's shutdown budget (platform/run.ts callers) leaves room for it and for closing the clients.
 */
export const SHUTDOWN_FORCE_AFTER_GRACE_MS = 2_000;

/** One worker per named task queue, all sharing one connection, one workflow bundle and one activity set. */
export async function createWorkers(opts: CreateWorkersOptions): Promise<VigilWorkers> {
  installRuntime(opts.deps.logger);
  const graceMs = msToNumber(opts.shutdownGraceTime ?? '5s');
  const connection = await NativeConnection.connect({ address: opts.address });
  const workflowBundle = await workflowBundleOption();
  const activities = { ...createActivities(opts.deps), ...opts.extraActivities };
  const workers = await Promise.all(
    TASK_QUEUE_NAMES.map((name) =>
      Worker.create({
        connection,
        namespace: opts.namespace,
        taskQueue: opts.deps.taskQueues[name],
        workflowBundle,
        activities,
        interceptors: { activity: [() => ({ inbound: new ActivityLoggingInterceptor() })] },
        shutdownGraceTime: graceMs,
        shutdownForceTime: graceMs + SHUTDOWN_FORCE_AFTER_GRACE_MS,
        ...WORKER_TUNING,
      }),
    ),
  );
  let running: Promise<void> | undefined;
  return {
    connection,
    run() {
      running ??= Promise.all(workers.map((w) => w.run())).then(() => undefined);
      return running;
    },
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      try {
        await running;
      } finally {
        await connection.close();
      }
    },
  };
}
