import type { Executor } from '../../db/client.js';
import type { accounts } from '../../db/schema/accounts.js';
import { createDefaultReport } from '../reports/create-default-report.js';

/** Runs inside the transaction that creates an account. */
export type AccountCreatedHook = (tx: Executor, account: typeof accounts.$inferSelect) => Promise<void>;

/** What every new account gets, feature by feature (e.g. the default report, directory auto-add). */
export const accountCreatedHooks: readonly AccountCreatedHook[] = [createDefaultReport];
