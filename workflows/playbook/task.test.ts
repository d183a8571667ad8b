import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { workflowBundle } from '../../worker/bundle.js';
import {
  assetIdOf,
  stubPlaybookActivitiesPerTask,
  type StubRecord,
  type StubTask,
} from '../../test/playbook/stub-activities.js';
import { cancelTaskUpdate, pauseTaskUpdate, resumeTaskUpdate, taskProgressQuery } from './messages.js';
import { playbookTaskWorkflow } from './task.js';

/**
 * The task workflow's orchestration rules on the real workflow code and a real Temporal server, with the activities
 * answered in memory (test/playbook/stub-activities.ts). One worker serves the whole file; each case registers how
 * its task's hosts answer (keyed by task id) and is just start → messages → result.
 */
let connection: Connection;
let native: NativeConnection;
let client: Client;
let worker: Worker;
let running: Promise<void>;
const namespace = inject('temporalNamespace');
const taskQueue = `stub-playbook-${randomUUID()}`;
const stubs = stubPlaybookActivitiesPerTask();

beforeAll(async () => {
  const address = inject('temporalAddress');
  connection = await Connection.connect({ address });
  native = await NativeConnection.connect({ address });
  client = new Client({ connection, namespace });
  worker = await Worker.create({
    connection: native,
    namespace,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: stubs.activities,
    // Heartbeats reach the server at once, so a cancellation reaches a running stub job in milliseconds instead of
    // at 0.8 × its heartbeat timeout.
    maxHeartbeatThrottleInterval: '20ms',
    defaultHeartbeatThrottleInterval: '20ms',
  });
  running = worker.run();
});
afterAll(async () => {
  worker.shutdown();
  await running;
  await connection.close();
  await native.close();
});

/** Runs one task workflow with its own stub hosts on the shared worker; `during` steers it while it runs. */
async function runTask(
  task: StubTask,
  during?: (handle: WorkflowHandle<typeof playbookTaskWorkflow>, record: StubRecord) => Promise<void>,
) {
  const taskId = randomUUID();
  const record = stubs.stubTask(taskId, task);
  const handle = await client.workflow.start(playbookTaskWorkflow, {
    workflowId: `playbook-task:${taskId}`,
    taskQueue,
    args: [{ taskId, accountId: randomUUID(), policyId: randomUUID(), execution: 1 }],
  });
  await during?.(handle, record);
  return { result: await handle.result(), record, taskId };
}

const until = async (what: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('error budget (DESIGN §5): no asset starts once more than maxErrors assets have failed', () => {
  it('maxErrors 0: the first failure stops dispatching; the rest are never started', async () => {
    const { result, record } = await runTask({
      assets: 5,
      params: { maxErrors: 0, maxConcurrency: 1 },
      host: () => ({ fix: 'failed', fixMs: 0 }),
    });
    expect(record.begun.map((b) => b.assetId)).toEqual([assetIdOf(0)]);
    expect(record.finish).toEqual({ cancelled: false, stopReason: 'errorBudget' });
    expect(result.status).toBe('Failed');
  });

  it('maxErrors 2 across canary stages: exactly 3 failures start, then nothing more', async () => {
    const { record } = await runTask({
      assets: 8,
      params: { maxErrors: 2, maxConcurrency: 1, stages: [1, 2] },
      host: (i) => ({ fix: i === 0 ? 'succeeded' : 'failed', fixMs: 0 }),
    });
    // Asset 0 succeeds (stage 1), 1 and 2 fail (stage 2), 3 fails in the last stage: 3 failures > 2.
    expect(record.begun.map((b) => b.assetId)).toEqual([0, 1, 2, 3].map(assetIdOf));
    expect(record.finish?.stopReason).toBe('errorBudget');
  });
});

describe('cutoff (DESIGN §5): no asset starts after window end − cutoff', () => {
  it('assets still waiting at the cutoff are never started and the task stops as window closed', async () => {
    const { record } = await runTask({
      assets: 20,
      params: { maxConcurrency: 1, windowEnd: 'continue' },
      cutoffInMs: 1_000,
      windowEndAfterCutoffMs: 60_000,
      host: () => ({ fix: 'succeeded', fixMs: 200 }),
    });
    expect(record.begun.length).toBeGreaterThan(0);
    expect(record.begun.length).toBeLessThan(20);
    // The workflow decides before it starts the child; the child's first activity follows within moments.
    for (const b of record.begun) expect(b.at).toBeLessThan((record.cutoffAtMs ?? 0) + 500);
    expect(record.finish).toEqual({ cancelled: false, stopReason: 'windowClosed' });
  });
});

describe('pause and resume (DESIGN §5): pause stops dispatching, resume restarts it', () => {
  it('no asset starts while paused; after resume every asset runs', async () => {
    let begunAtPause = 0;
    let begunAfterPause = 0;
    const { result, record } = await runTask(
      { assets: 6, params: { maxConcurrency: 1 }, host: () => ({ fix: 'succeeded', fixMs: 150 }) },
      async (handle, rec) => {
        await until(() => rec.begun.length >= 1);
        expect(await handle.executeUpdate(pauseTaskUpdate)).toEqual({ status: 'Paused' });
        begunAtPause = rec.begun.length;
        await new Promise((r) => setTimeout(r, 300));
        begunAfterPause = rec.begun.length;
        expect((await handle.query(taskProgressQuery)).paused).toBe(true);
        expect(await handle.executeUpdate(resumeTaskUpdate)).toEqual({ status: 'Progressing' });
      },
    );
    // The running asset may finish; no other one starts until resume.
    expect(begunAfterPause).toBe(begunAtPause);
    expect(record.begun).toHaveLength(6);
    expect(result.status).toBe('Succeeded');
  });
});

describe('cancel (DESIGN §5): no new assets, running ones cancelled, the task ends Cancelled', () => {
  it('cancel while Progressing: Cancelling at once, running jobs cancelled, nothing more starts', async () => {
    const { result, record, taskId } = await runTask(
      {
        assets: 6,
        // The shortest heartbeat timeout a policy allows: a cancellation reaches a running job within 2 seconds.
        params: { maxConcurrency: 2, heartbeatTimeoutSeconds: 2 },
        host: () => ({ fix: 'succeeded', fixMs: 30_000 }),
      },
      async (handle, rec) => {
        await until(() => rec.begun.length === 2);
        expect(await handle.executeUpdate(cancelTaskUpdate)).toEqual({ status: 'Cancelling' });
      },
    );
    expect(result.status).toBe('Cancelled');
    expect(record.begun).toHaveLength(2);
    expect(record.finish).toEqual({ cancelled: true, stopReason: 'cancelled' });
    expect(record.cancelledGroups).toContain(`playbook-task:${taskId}`);
    expect([...record.ended.values()]).toEqual(['Cancelled', 'Cancelled']);
    expect(record.stepEnds.filter((e) => e.kind === 'fix').map((e) => e.status)).toEqual([
      'cancelled',
      'cancelled',
    ]);
  });

  it('cancel while Waiting for the window: Cancelled at once, no asset touched', async () => {
    const { result, record } = await runTask(
      { assets: 3, windowStartMs: Date.now() + 3_600_000, host: () => ({ fix: 'succeeded', fixMs: 0 }) },
      async (handle) => {
        expect(await handle.executeUpdate(cancelTaskUpdate)).toEqual({ status: 'Cancelled' });
      },
    );
    expect(result.status).toBe('Cancelled');
    expect(record.begun).toHaveLength(0);
  });
});
