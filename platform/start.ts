import { runVigil } from './run.js';

/**
 * `npm start`: the whole system in one process on embedded defaults — the Temporal dev server (unless
 * TEMPORAL_ADDRESS is set), PGlite (unless DATABASE_URL is set), migrations, API, workers and the maintenance
 * Schedule; `npm start -- --demo` adds the Playbook demo. Ctrl-C stops everything within 10 s.
 */
await runVigil({
  roles: ['api', 'worker', 'maintenance'],
  embedded: { args: process.argv.slice(2) },
  say: (line) => process.stdout.write(`${line}\n`),
  shutdownBudgetMs: 10_000,
});
