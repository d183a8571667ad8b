import { runVigil } from '../platform/run.js';

/**
 * `npm run api`: the HTTP API alone, against DATABASE_URL and TEMPORAL_ADDRESS (production). Agent jobs recorded by
 * separate workers wake this process's long polls through Postgres NOTIFY.
 */
await runVigil({ roles: ['api'], shutdownBudgetMs: 10_000 });
