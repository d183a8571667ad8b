import type { Services } from '../api/context.js';
import type { Config } from './config.js';
import { memberSettingsRepairHook } from '../activities/multi-account/rollout-start.js';
import { reportScheduleReconcileHook } from '../activities/reports/reconcile-start.js';
import { playbookDemoHook, playbookRepairHook } from './playbook-demo.js';

export interface StartHookContext {
  services: Services;
  config: Config;
  /** Command-line arguments of `npm start -- …` (e.g. `--demo`). */
  args: string[];
  say: (line: string) => void;
  /** The default account when this start created it, with its admin key (shown once); null on later starts. */
  defaultAccount?: { accountId: string; apiKey: string } | null;
}

/** Runs once the system is up; may return its own stop function. */
export type StartHook = (ctx: StartHookContext) => Promise<(() => Promise<void>) | void>;

/** Features that act at start-up (the Playbook demo, the report schedule reconciler) add themselves here. */
export const startHooks: readonly StartHook[] = [
  memberSettingsRepairHook,
  reportScheduleReconcileHook,
  playbookRepairHook,
  playbookDemoHook,
];
