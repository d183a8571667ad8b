import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints the run's plain closing line, `vitest: N passed, N failed, N skipped`, after Vitest's own summary, and writes
 * the counts to `$VIGIL_TEST_SUMMARY` when set: `.ci/run` repeats that line last, after the fuzz pass, so whoever
 * reads the end of the CI log sees how many tests ran (the fuzz pass's pytest-style footer counts no test).
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of testModules) {
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    const line = `vitest: ${passed} passed, ${failed} failed, ${skipped} skipped`;
    process.stdout.write(`\n${line}\n`);
    const file = process.env.VIGIL_TEST_SUMMARY;
    if (file) writeFileSync(file, `${line}\n`);
  }
}
