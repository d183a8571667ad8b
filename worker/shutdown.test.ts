import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ensureMaintenanceSchedule, maintenanceScheduleId } from '../platform/maintenance.js';
import { createTestContext } from '../test/harness.js';

describe('worker shutdown', () => {
  it('gives up on an activity that ignores its cancellation, so the process goes on to close its database', async () => {
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const ctx = await createTestContext({
      workers: true,
      extraActivities: {
        // Host work that never settles and never looks at its cancellation.
        maintenanceStartPendingTasks: () => {
          started();
          return new Promise<number>(() => undefined);
        },
      },
    });
    const schedule = ctx.services.temporal.schedule.getHandle(
      maintenanceScheduleId(ctx.config.VIGIL_TASK_QUEUE_PREFIX),
    );
    try {
      await ensureMaintenanceSchedule(ctx.services);
      await running;
      // Grace 1 s (the harness), then cancellation, which the activity ignores; without a force time the workers'
      // shutdown waits for it for good and the test times out here.
      await schedule.delete();
      await ctx.close();
      await expect(ctx.database.db.execute(sql`select 1`)).rejects.toThrow();
    } finally {
      await schedule.delete().catch(() => undefined);
      await ctx.close();
    }
  }, 30_000);
});
