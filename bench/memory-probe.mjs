import { writeFileSync } from 'node:fs';
import { setInterval } from 'node:timers';
import process from 'node:process';
import { getHeapStatistics } from 'node:v8';
import { isMainThread } from 'node:worker_threads';

/**
 * Preloaded (`--import`) into a process a bench measures: writes `process.memoryUsage()` and V8's heap limits to
 * the file named by VIGIL_BENCH_MEMORY_FILE once a second, so the bench can tell JS heap from native memory in the
 * RSS it samples. `%p` in the name stands for the process id, for a bench that preloads it through NODE_OPTIONS
 * into a whole tree of Node processes (npm, tsx, Vigil, the bundler). Plain JavaScript, because NODE_OPTIONS
 * reaches processes and worker threads (Temporal's workflow threads) without the tsx loader; the main thread
 * alone writes. Bench-only: nothing in the product loads it.
 */
const file = process.env.VIGIL_BENCH_MEMORY_FILE?.replaceAll('%p', String(process.pid));
if (file && isMainThread) {
  const write = () => {
    const heap = getHeapStatistics();
    writeFileSync(
      file,
      JSON.stringify({ ...process.memoryUsage(), totalHeapSize: heap.total_heap_size, at: Date.now() }),
    );
  };
  setInterval(write, 1000).unref();
}
