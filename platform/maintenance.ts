import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
} from '@temporalio/client';
import { repairUnstartedRollouts } from '../services/multi-account/repair-unstarted-rollouts.js';
import { reconcileReportSchedules } from '../services/reports/reconcile-report-schedules.js';
import { reconcileTaskWorkflows } from '../services/playbook/reconcile-task.js';
import { startPendingTaskWorkflows } from '../services/playbook/start-pending-task-workflows.js';
import { startBreakGlassNotifications } from '../services/signature/start-break-glass-notifications.js';
import type { MaintenanceActivities } from '../workflows/maintenance.js';
import type { Services } from './services.js';

/**
 * One maintenance Schedule per deployment (the task-queue prefix names the deployment on a shared cluster). Its id
 * is fixed, so every worker replica can create it at start and they all end up with the same single schedule.
 */
export const maintenanceScheduleId = (taskQueuePrefix: string) => `maintenance:${taskQueuePrefix}`;

/** The duties the maintenance workflow runs, bound to this process's services; registered by every worker. */
export function maintenanceActivities(services: Services): MaintenanceActivities {
  return {
    maintenanceStartPendingTasks: () => startPendingTaskWorkflows(services),
    maintenanceReconcileTaskWorkflows: () => reconcileTaskWorkflows(services),
    async maintenanceReconcileReportSchedules() {
      const r = await reconcileReportSchedules(services);
      for (const f of r.failed) services.logger.warn({ failure: f }, 'report schedule out of step');
      return {
        created: r.created.length,
        updated: r.updated.length,
        deleted: r.deleted.length,
        unchanged: r.unchanged,
        failed: r.failed.length,
      };
    },
    maintenanceRepairMemberSettingsRollouts: () => repairUnstartedRollouts(services),
    maintenanceStartBreakGlassNotifications: () => startBreakGlassNotifications(services),
  };
}

function scheduleOptions(services: Pick<Services, 'config' | 'taskQueues'>): ScheduleOptions {
  const prefix = services.config.VIGIL_TASK_QUEUE_PREFIX;
  const everySeconds = services.config.VIGIL_MAINTENANCE_INTERVAL_SECONDS;
  return {
    scheduleId: maintenanceScheduleId(prefix),
    spec: { intervals: [{ every: everySeconds * 1000 }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'vigilMaintenanceWorkflow',
      // The accounts queue is polled by every worker and is the least busy; the duties are short.
      taskQueue: services.taskQueues.accounts,
      workflowId: maintenanceScheduleId(prefix),
      args: [],
      staticSummary:
        'Vigil maintenance: start unstarted task workflows, end tasks whose workflow ended outside Vigil, reconcile report schedules, repair rollouts, start lost break-glass notifications',
      workflowExecutionTimeout: '30 minutes',
    },
    policies: {
      // One run at a time across all replicas; a run missed while Temporal was down is not made up (the next will do).
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: '1 minute',
      pauseOnFailure: false,
    },
    state: { note: 'created by every Vigil worker at start (VIGIL_MAINTENANCE_INTERVAL_SECONDS)' },
  };
}

/**
 * Creates the maintenance Schedule, or brings its interval in step with this process's configuration, and then
 * triggers one run at once (overlap SKIP: a run already going is not doubled) so that what a crash left undone is
 * repaired at start rather than one interval later.
 */
export async function ensureMaintenanceSchedule(
  services: Pick<Services, 'config' | 'taskQueues' | 'temporal' | 'logger'>,
): Promise<void> {
  const client: Client = services.temporal;
  const options = scheduleOptions(services);
  const handle = client.schedule.getHandle(options.scheduleId);
  try {
    await client.schedule.create(options);
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    const current = await handle.describe();
    const every = current.spec.intervals?.[0]?.every;
    const wanted = options.spec.intervals?.[0]?.every;
    if (every !== wanted || current.state.paused) {
      await handle.update(() => ({
        spec: options.spec,
        action: options.action,
        policies: options.policies,
        state: { paused: false, note: options.state?.note },
      }));
      services.logger.info({ scheduleId: options.scheduleId }, 'maintenance schedule updated');
    }
  }
  await handle.trigger(ScheduleOverlapPolicy.SKIP);
}
