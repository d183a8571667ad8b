import type { Logger } from './logger.js';

/**
 * The one shutdown order of every Vigil process: what calls in from outside stops first, what everything else
 * depends on stops last. Extras (the demo's agents) → HTTP server → API duties (notification listeners, queued
 * admission decisions) → workers drain → Temporal client → database → embedded dev server and mail transport.
 */
export const STOP_ORDER = ['extras', 'http', 'api', 'workers', 'temporal', 'database', 'last'] as const;
export type StopStage = (typeof STOP_ORDER)[number];

export class StopList {
  private readonly stages = new Map<StopStage, (() => Promise<void>)[]>(STOP_ORDER.map((s) => [s, []]));
  private stopping: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  /** Within a stage, later additions stop first (they may depend on earlier ones). */
  add(stage: StopStage, stop: () => Promise<void>): void {
    this.stages.get(stage)?.unshift(stop);
  }

  /** Runs every stop once, in order; a failing stop is logged and the rest still run. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const stage of STOP_ORDER) {
        for (const fn of this.stages.get(stage) ?? []) {
          try {
            await fn();
          } catch (err) {
            this.logger.error({ err, stage }, 'error during shutdown');
          }
        }
      }
    })();
    return this.stopping;
  }
}
