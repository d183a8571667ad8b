import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createSimulateExecutor } from '../../agent/executors/simulate.js';
import type { Executor } from '../../agent/executors/index.js';
import { reconcileTaskWorkflows } from '../../services/playbook/reconcile-task.js';
import { auditLog } from '../../db/schema/audit.js';
import { playbookTasks } from '../../db/schema/playbook.js';
import type { TFlowGraph } from '../../domain/playbook/flow.js';
import type { TestContext } from '../harness.js';
import { api, createTask, getTask, isFinal, usePlaybookWorlds, waitForTask } from './helpers.js';

// A shared 2-core machine can be slow (tests poll, never sleep).
vi.setConfig({ testTimeout: 300_000 });

const playbook = usePlaybookWorlds();
let ctx: TestContext;
beforeAll(() => {
  ctx = playbook.ctx();
});

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const nodeStatus = (g: TFlowGraph) => Object.fromEntries(g.nodes.map((n) => [n.id, n.status]));

/** A host whose every fix fails on its first attempt and succeeds on the retry. */
function failsFirstAttempt(): Executor {
  const inner = createSimulateExecutor({ latencyMs: 20 });
  const tried = new Set<string>();
  return {
    name: 'simulate',
    capabilities: (dryRun) => inner.capabilities(dryRun),
    async run(job, jobCtx) {
      const key = String(job.payload.vulnerabilityId);
      if (job.kind === 'fix' && !tried.has(key)) {
        tried.add(key);
        jobCtx.output('E: simulated first-attempt failure\n');
        return { exitCode: 1, details: {} };
      }
      return inner.run(job, jobCtx);
    },
  };
}

describe('the flow tells the truth', () => {
  it('fixes that failed once and succeeded on the retry count as successes, attempts apart', async () => {
    const w = await playbook.world({
      prefix: 'retry',
      assets: 3,
      vulnerabilitiesPerAsset: 2,
      policy: { retriesPerFix: 1, maxErrors: 0 },
      executor: failsFirstAttempt,
    });
    const t = await createTask(w);
    const done = await waitForTask(w, t.id, isFinal);
    expect(done.status).toBe('Succeeded');
    expect(done.log.failed).toBe(0);
    const fixSummary = done.log.steps.find((s) => s.kind === 'fix');
    expect(fixSummary).toMatchObject({ status: 'succeeded', counts: { succeeded: 6 }, attempts: 12 });

    const flow = await api<TFlowGraph>(w, 'GET', `/v1/playbook/tasks/${t.id}/flow`, undefined, 200);
    expect(flow.nodes.find((n) => n.id === 'fix')).toMatchObject({
      status: 'done',
      counts: { succeeded: 6 },
      attempts: 12,
    });
    // The simulated hosts need no reboot; the task has no channel to notify; nothing is left "pending".
    expect(nodeStatus(flow)).toMatchObject({ reboot: 'notRequired', notify: 'notRequired', end: 'done' });
    expect(Object.values(nodeStatus(flow))).not.toContain('pending');
    const mermaid = await api<string>(
      w,
      'GET',
      `/v1/playbook/tasks/${t.id}/flow?format=mermaid`,
      undefined,
      200,
    );
    expect(mermaid).toContain('Fix<br/>succeeded 6 (12 attempts)');
    expect(mermaid).not.toMatch(/:::failed|:::pending|^\s+end\[/m);
    // The Temporal UI's "Current details": Markdown it renders (a list), not a table it shows as run-together words.
    const meta = await ctx.services.temporal.workflow
      .getHandle(`playbook-task:${t.id}`)
      .query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(meta.currentDetails).toContain('**Succeeded**');
    expect(meta.currentDetails).toContain('- **succeeded**: 3');
    expect(meta.currentDetails).not.toContain('|');
  });

  it('a task cancelled in its wait shows Cancelled nodes', async () => {
    const w = await playbook.world({
      prefix: 'cwait',
      assets: 1,
      vulnerabilitiesPerAsset: 1,
      withoutAgents: true,
    });
    const t = await createTask(w, {
      execution: { mode: 'window', start: inSeconds(600), end: inSeconds(1200), timeZone: 'UTC' },
    });
    await api(w, 'POST', `/v1/playbook/tasks/${t.id}/cancel`, undefined, 200);
    await waitForTask(w, t.id, (x) => x.status === 'Cancelled');
    const flow = await api<TFlowGraph>(w, 'GET', `/v1/playbook/tasks/${t.id}/flow`, undefined, 200);
    expect(nodeStatus(flow)).toMatchObject({
      start: 'done',
      wait: 'cancelled',
      fix: 'cancelled',
      end: 'cancelled',
    });
    expect(Object.values(nodeStatus(flow))).not.toContain('failed');
  });
});

describe('a task whose workflow ended outside Vigil', () => {
  const terminate = (taskId: string) =>
    ctx.services.temporal.workflow
      .getHandle(`playbook-task:${taskId}`)
      .terminate('terminated by an operator in the UI');

  /** A Waiting task whose workflow start was acknowledged (outbox), then terminated in Temporal while it waits. */
  async function waitingTaskTerminated(prefix: string) {
    const w = await playbook.world({ prefix, assets: 1, vulnerabilitiesPerAsset: 1, withoutAgents: true });
    const t = await createTask(w, {
      execution: { mode: 'window', start: inSeconds(600), end: inSeconds(1200), timeZone: 'UTC' },
    });
    await expect
      .poll(async () => {
        const [row] = await ctx.services.db.select().from(playbookTasks).where(eq(playbookTasks.id, t.id));
        return row?.startedExecution;
      })
      .toBe(1);
    await terminate(t.id);
    return { w, t };
  }

  it('is found on read and ends Failed ("terminated in Temporal") with an audit row', async () => {
    // Slow hosts: the task is mid-run, with agent jobs running, when its workflow is terminated.
    const w = await playbook.world({
      prefix: 'term',
      assets: 2,
      vulnerabilitiesPerAsset: 1,
      agent: { latencyMs: 120_000, heartbeatIntervalMs: 500 },
    });
    const t = await createTask(w);
    await waitForTask(w, t.id, (x) => x.assets.some((a) => a.status === 'Running'));
    await terminate(t.id);
    const after = await waitForTask(w, t.id, (x) => x.status !== 'Progressing', 30_000);
    expect(after.status).toBe('Failed');
    expect(
      after.assets.every((a) => a.status === 'Failed' && a.reason?.includes('terminated in Temporal')),
    ).toBe(true);
    const logs = await api<{ items: { message: string }[] }>(
      w,
      'GET',
      `/v1/playbook/tasks/${t.id}/logs?limit=200`,
    );
    expect(logs.items.some((l) => l.message.includes('terminated in Temporal'))).toBe(true);
    const audit = await ctx.services.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetId, t.id), eq(auditLog.action, 'playbook_task.ended_outside_vigil')));
    expect(audit).toHaveLength(1);
    expect(audit[0]?.after).toMatchObject({ status: 'Failed', temporalStatus: 'TERMINATED' });
    // Reading again changes nothing more; the failed assets can be rerun.
    expect((await getTask(w, t.id)).status).toBe('Failed');
    const rerun = await api<{ status: string }>(
      w,
      'POST',
      `/v1/playbook/tasks/${t.id}/rerun`,
      undefined,
      200,
    );
    expect(rerun.status).toBe('Progressing');
    await api(w, 'POST', `/v1/playbook/tasks/${t.id}/cancel`, undefined, 200);
  });

  it('is found by the sweep without anyone reading it', async () => {
    const { w, t } = await waitingTaskTerminated('sweep');
    expect(await reconcileTaskWorkflows(ctx.services)).toBeGreaterThanOrEqual(1);
    const [row] = await ctx.services.db.select().from(playbookTasks).where(eq(playbookTasks.id, t.id));
    expect(row?.status).toBe('Failed');
    // A task whose workflow still runs is left alone.
    const running = await createTask(w, {
      execution: { mode: 'window', start: inSeconds(600), end: inSeconds(1200), timeZone: 'UTC' },
    });
    await reconcileTaskWorkflows(ctx.services);
    expect((await getTask(w, running.id)).status).toBe('Waiting');
    await api(w, 'POST', `/v1/playbook/tasks/${running.id}/cancel`, undefined, 200);
  });

  it('is found by a control call too, which then refuses it instead of starting the workflow again', async () => {
    const { w, t } = await waitingTaskTerminated('ctl');
    const res = await ctx.request('POST', `/v1/playbook/tasks/${t.id}/cancel`, { key: w.apiKey });
    expect(res.status).toBe(409);
    const described = await ctx.services.temporal.workflow.getHandle(`playbook-task:${t.id}`).describe();
    expect(described.status.name).toBe('TERMINATED');
    expect((await getTask(w, t.id)).status).toBe('Failed');
  });
});
