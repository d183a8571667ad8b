/** What every bench's command line and `main` share. */

/** The bench's own arguments (after `tsx bench/<name>.ts`). */
export const args = process.argv.slice(2);

/** `--name N` as a number, `dflt` when absent. */
export const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};

/**
 * Runs the bench's `main`: a failure prints its stack and exits 1. `exitWhenDone` exits 0 after success too, for the
 * benches whose clients (Temporal connections, child processes) would otherwise keep the process alive.
 */
export function runBench(main: () => Promise<void>, opts: { exitWhenDone?: boolean } = {}): void {
  main().then(
    () => {
      if (opts.exitWhenDone) process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(
        `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
