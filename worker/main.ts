import { runVigil } from '../platform/run.js';

/**
 * `npm run worker`: the Temporal workers alone, against DATABASE_URL and TEMPORAL_ADDRESS (production). Every
 * replica also makes sure the maintenance Schedule exists; its runs are singletons however many replicas there are.
 */
await runVigil({
  roles: ['worker', 'maintenance'],
  worker: { shutdownGraceTime: '30s' },
  // The grace time for running activities, plus closing the clients.
  shutdownBudgetMs: 40_000,
});
