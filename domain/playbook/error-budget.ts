import { resolveAmount, type TAmount } from './amounts.js';

/**
 * The exact error budget (DESIGN §5), written once: with `maxErrors` N — or p% of the task's assets, rounded down —
 * the task starts no new asset once MORE than N assets have failed. Assets already running finish; the assets
 * never started end Skipped (error budget). N = 0 therefore stops dispatching after the first failure.
 */
export function errorBudget(opts: { maxErrors: TAmount; assetCount: number }): number {
  return resolveAmount(opts.maxErrors, opts.assetCount);
}

/** True once the failures exceed the budget: no new asset may start. */
export function errorBudgetExhausted(opts: { failed: number; budget: number }): boolean {
  return opts.failed > opts.budget;
}

/** The rule in words, for the docs, the API description and notifications. */
export const ERROR_BUDGET_RULE =
  'With maxErrors N (or p% of the task’s assets, rounded down), no new asset starts once more than N assets have ' +
  'failed; assets already running finish; the rest end Skipped (error budget). N = 0 stops after the first failure.';
