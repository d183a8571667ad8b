import { describe, expect, it } from 'vitest';
import { TASK_QUEUE_NAMES } from './task-queues.js';
import { WORKER_TUNING } from './worker.js';

describe('worker tuning', () => {
  it('bounds the sticky workflow cache of every worker (the SDK default grows with the heap limit)', () => {
    const cache: number | undefined = WORKER_TUNING.maxCachedWorkflows;
    expect(cache).toBeDefined();
    // The SDK refuses more concurrent workflow tasks than cached workflows.
    expect(cache).toBeGreaterThanOrEqual(WORKER_TUNING.maxConcurrentWorkflowTaskExecutions);
    // ~1 MB a cached workflow at most (the SDK's own figure): the whole process's cache stays well under 1 GB.
    expect((cache ?? Infinity) * TASK_QUEUE_NAMES.length).toBeLessThanOrEqual(600);
  });
});
