import { writeFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';

/**
 * Preloaded (`--import`) into a process a bench measures: writes `process.memoryUsage()` and V8's heap limits to
 * the file named by VIGIL_BENCH_MEMORY_FILE once a second, so the bench can tell JS heap from native memory in the
 * RSS it samples. Bench-only: nothing in the product loads it.
 */
const file = process.env.VIGIL_BENCH_MEMORY_FILE;
if (file) {
  const write = () => {
    const heap = getHeapStatistics();
    writeFileSync(
      file,
      JSON.stringify({ ...process.memoryUsage(), totalHeapSize: heap.total_heap_size, at: Date.now() }),
    );
  };
  setInterval(write, 1000).unref();
}
