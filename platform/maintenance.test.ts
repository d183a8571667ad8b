import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../test/harness.js';
import { ensureMaintenanceSchedule, maintenanceScheduleId } from './maintenance.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.services.temporal.schedule
    .getHandle(maintenanceScheduleId(ctx.config.VIGIL_TASK_QUEUE_PREFIX))
    .delete()
    .catch(() => undefined);
  await ctx?.close();
});

describe('the maintenance Schedule', () => {
  it('is one schedule however many processes create it, overlap SKIP, and follows a changed interval', async () => {
    const { services } = ctx;
    const id = maintenanceScheduleId(ctx.config.VIGIL_TASK_QUEUE_PREFIX);
    // Replicas starting together.
    await Promise.all([ensureMaintenanceSchedule(services), ensureMaintenanceSchedule(services)]);
    const handle = services.temporal.schedule.getHandle(id);
    const first = await handle.describe();
    expect(first.policies.overlap).toBe('SKIP');
    expect(first.spec.intervals?.[0]?.every).toBe(300_000);
    expect(first.action.type === 'startWorkflow' && first.action.taskQueue).toBe(
      services.taskQueues.accounts,
    );

    let listed = 0;
    for await (const s of services.temporal.schedule.list()) if (s.scheduleId === id) listed++;
    expect(listed).toBe(1);

    await ensureMaintenanceSchedule({
      ...services,
      config: { ...services.config, VIGIL_MAINTENANCE_INTERVAL_SECONDS: 60 },
    });
    expect((await handle.describe()).spec.intervals?.[0]?.every).toBe(60_000);
  });
});
