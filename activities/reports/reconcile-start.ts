import type { StartHook } from '../../platform/start-hooks.js';
import { reconcileReportSchedules, type ReconcileResult } from './reconcile-schedules.js';

/** Also repairs what a change could not bring in step (Temporal was down) and the default report of new accounts. */
export const RECONCILE_INTERVAL_MS = 5 * 60_000;

const describe = (r: ReconcileResult) =>
  `report schedules: ${r.created.length} created, ${r.updated.length} updated, ${r.deleted.length} orphans deleted, ` +
  `${r.unchanged} in step${r.failed.length > 0 ? `, ${r.failed.length} failed` : ''}`;

/** Start-up hook: reconcile report schedules with the database now, then every few minutes. */
export const reportScheduleReconcileHook: StartHook = async ({ services, say }) => {
  say(describe(await reconcileReportSchedules(services)));
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    reconcileReportSchedules(services)
      .catch((err: unknown) => services.logger.error({ err }, 'report schedule reconciliation failed'))
      .finally(() => {
        running = false;
      });
  }, RECONCILE_INTERVAL_MS);
  timer.unref();
  return async () => clearInterval(timer);
};
