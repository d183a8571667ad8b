import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { and, asc, count, eq, inArray } from 'drizzle-orm';
import { createTestContext, type TestContext } from '../harness.js';
import { toAgentJobResult } from '../../services/agents/job-delivery.js';
import { createPlaybookActivities } from '../../activities/playbook/task-activities.js';
import { agentJobs } from '../../db/schema/agents.js';
import { playbookTaskLogs, playbookTasks, playbookTaskSteps } from '../../db/schema/playbook.js';
import { vulnerabilities } from '../../db/schema/findings.js';
import { fixAssetWorkflow } from '../../workflows/playbook/asset.js';
import { VigilStatus } from '../../workflows/search-attributes.js';
import { recordHistories } from './histories.js';
import { api, createTask, isFinal, playbookWorld, waitForTask, type PlaybookWorld } from './helpers.js';

// A shared 2-core machine can be slow: host work, timers and polling get room (tests still poll, never sleep).
vi.setConfig({ testTimeout: 400_000 });

let ctx: TestContext;
let w: PlaybookWorld;

beforeAll(async () => {
  ctx = await createTestContext({ workers: true });
  w = await playbookWorld(ctx, {
    assets: 4,
    vulnerabilitiesPerAsset: 2,
    policy: { heartbeatTimeoutSeconds: 5, maxConcurrency: 2 },
  });
});
afterAll(async () => {
  await w?.fleet.stop();
  await ctx?.close();
});

describe('Playbook: a task run now', () => {
  it('goes Progressing → Succeeded, fixes every unit once, and serves details, logs and flow', async () => {
    const created = await createTask(w);
    expect(created.status).toBe('Progressing');
    expect(created.assetCount).toBe(4);
    const done = await waitForTask(w, created.id, isFinal);
    expect(done.status).toBe('Succeeded');
    expect(done.log).toMatchObject({
      status: 'Succeeded',
      processes: 8,
      succeeded: 8,
      failed: 0,
      assets: { Succeeded: 4 },
    });
    expect(done.log.steps.map((s) => [s.kind, s.status])).toEqual([
      ['precheck', 'succeeded'],
      ['fix', 'succeeded'],
      ['verify', 'succeeded'],
    ]);
    expect(done.assets).toHaveLength(4);
    expect(done.assets[0]?.vulnerabilities.map((v) => v.status)).toEqual(['fixed', 'fixed']);

    // One agent job per (asset, vulnerability, step): 4 prechecks + 8 fixes + 4 verifications.
    const [jobs] = await ctx.database.db
      .select({ n: count() })
      .from(agentJobs)
      .where(eq(agentJobs.accountId, w.accountId));
    expect(jobs?.n).toBe(16);
    const open = await ctx.database.db
      .select()
      .from(vulnerabilities)
      .where(eq(vulnerabilities.accountId, w.accountId));
    expect(open.every((v) => v.status === 'fixed')).toBe(true);

    const logs = await api<{ items: { event: string; step: { output: string } | null }[] }>(
      w,
      'GET',
      `/v1/playbook/tasks/${created.id}/logs?limit=500`,
      undefined,
      200,
    );
    const fixLog = logs.items.find(
      (l) => l.event === 'step.succeeded' && l.step?.output.includes('upgraded'),
    );
    expect(fixLog).toBeDefined();

    const flow = await api<{ nodes: { id: string; counts: Record<string, number> }[] }>(
      w,
      'GET',
      `/v1/playbook/tasks/${created.id}/flow`,
      undefined,
      200,
    );
    expect(flow.nodes.map((n) => n.id)).toEqual([
      'start',
      'precheck',
      'fix',
      'verify',
      'reboot',
      'notify',
      'end',
    ]);
    expect(flow.nodes.find((n) => n.id === 'fix')?.counts).toEqual({ succeeded: 8 });
    const mermaid = await ctx.request('GET', `/v1/playbook/tasks/${created.id}/flow?format=mermaid`, {
      key: w.apiKey,
    });
    expect(await mermaid.text()).toContain('flowchart LR');
    const svg = await ctx.request('GET', `/v1/playbook/tasks/${created.id}/flow?format=svg`, {
      key: w.apiKey,
    });
    expect(svg.headers.get('content-type')).toContain('image/svg+xml');

    const handle = ctx.services.temporal.workflow.getHandle(`playbook-task:${created.id}`);
    expect(await handle.result()).toEqual({ status: 'Succeeded' });
    const described = await handle.describe();
    expect(await described.staticSummary()).toMatch(/^Fix 2 vulnerabilities on 4 assets/);
    expect(described.typedSearchAttributes.get(VigilStatus)).toBe('Succeeded');
    const firstAsset = done.assets[0]?.id ?? '';
    // `playbook-now-*` are histories from before the step-activity patch; this run records the current sequence.
    await recordHistories(ctx.services.temporal, 'playbook-now-step-activity', [
      `playbook-task:${created.id}`,
      `fix-batch:${created.id}:1:0`,
      `fix-asset:${created.id}:1:${firstAsset}`,
    ]);
  });
});

describe('Playbook: step ends of both workflow versions', () => {
  it('ends a step by id (histories before the step activity) or by key, with its job output, exactly once', async () => {
    // The task the first test ran (its vulnerabilities are fixed now, so another task could not select them).
    const [task] = await ctx.database.db
      .select({ id: playbookTasks.id })
      .from(playbookTasks)
      .where(eq(playbookTasks.accountId, w.accountId))
      .limit(1);
    if (!task) throw new Error('no task');
    const created = { id: task.id };
    const assetId = w.fleet.assets[0]?.id ?? '';
    const keys = { accountId: w.accountId, taskId: created.id, execution: 1, assetId };
    const [job] = await ctx.database.db
      .select()
      .from(agentJobs)
      .where(and(eq(agentJobs.assetId, assetId), eq(agentJobs.kind, 'fix')))
      .limit(1);
    if (!job) throw new Error('no fix job');
    const activities = createPlaybookActivities(ctx.services);
    const begin = (attempt: number) =>
      activities.playbookBeginStep({
        ...keys,
        kind: 'reboot',
        vulnerabilityId: '',
        attempt,
        summary: `reboot ${attempt}`,
      });

    const { stepId } = await begin(1);
    const byId = {
      ...keys,
      stepId,
      kind: 'reboot' as const,
      status: 'succeeded' as const,
      result: toAgentJobResult(job),
      error: null,
    };
    await activities.playbookEndStep(byId);
    await activities.playbookEndStep({ ...byId, status: 'failed', error: 'too late' }); // already ended: no change
    await begin(2);
    const byKey = { kind: 'reboot' as const, vulnerabilityId: '', attempt: 2, jobId: null, exitCode: null };
    await activities.playbookEndSteps({ ...keys, ends: [{ ...byKey, status: 'failed', error: 'boom' }] });
    await activities.playbookEndSteps({ ...keys, ends: [{ ...byKey, status: 'succeeded', error: null }] });

    const steps = await ctx.database.db
      .select()
      .from(playbookTaskSteps)
      .where(and(eq(playbookTaskSteps.taskId, created.id), eq(playbookTaskSteps.kind, 'reboot')))
      .orderBy(asc(playbookTaskSteps.attempt));
    expect(steps.map((st) => [st.attempt, st.status, st.jobId, st.exitCode, st.output, st.error])).toEqual([
      [1, 'succeeded', job.id, job.exitCode, job.output, null],
      [2, 'failed', null, null, '', 'boom'],
    ]);
    expect(job.output.length).toBeGreaterThan(0);
    const logs = await ctx.database.db
      .select({ message: playbookTaskLogs.message })
      .from(playbookTaskLogs)
      .where(
        inArray(
          playbookTaskLogs.stepId,
          steps.map((st) => st.id),
        ),
      )
      .orderBy(asc(playbookTaskLogs.message));
    expect(logs.map((l) => l.message)).toEqual([
      `reboot 1: succeeded (exit code ${job.exitCode})`,
      'reboot 2: failed — boom',
    ]);
  });
});

describe('Playbook: an asset whose history grows long', () => {
  it('continues as new between vulnerabilities and fixes each one exactly once', async () => {
    const big = await playbookWorld(ctx, {
      prefix: 'long',
      assets: 1,
      vulnerabilitiesPerAsset: 3,
      policy: { heartbeatTimeoutSeconds: 5 },
    });
    try {
      const asset = big.fleet.assets[0];
      if (!asset) throw new Error('no asset');
      // A windowed task gives the asset its task rows; the asset run is then driven directly with a tiny budget.
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      const task = await createTask(
        big,
        {
          assets: { assetIds: [asset.id] },
          execution: {
            mode: 'window',
            start: `${tomorrow}T01:00`,
            end: `${tomorrow}T03:00`,
            timeZone: 'UTC',
          },
        },
        big.fleet.policyId,
      );
      expect(task.status).toBe('Waiting');
      const workflowId = `fix-asset-long:${task.id}`;
      const handle = await ctx.services.temporal.workflow.start(fixAssetWorkflow, {
        workflowId,
        taskQueue: ctx.services.taskQueues.playbook,
        args: [
          {
            taskId: task.id,
            accountId: big.accountId,
            policyId: big.fleet.policyId,
            execution: 1,
            assetId: asset.id,
            assetName: asset.name,
            run: {
              snapshot: { enabled: false, retentionDays: 1 },
              reboot: 'never',
              retriesPerFix: 0,
              verifyAfterFix: true,
              heartbeatTimeoutSeconds: 5,
            },
            historyBudget: 1,
          },
        ],
      });
      expect(await handle.result()).toEqual({ status: 'Succeeded', reason: null });

      // Three runs: the first fixes one vulnerability, each later one the next; the last verifies.
      const first = await ctx.services.temporal.workflow
        .getHandle(workflowId, handle.firstExecutionRunId)
        .describe();
      expect(first.status.name).toBe('CONTINUED_AS_NEW');
      const latest = await ctx.services.temporal.workflow.getHandle(workflowId).describe();
      expect(latest.runId).not.toBe(handle.firstExecutionRunId);
      const jobs = await ctx.database.db
        .select({ kind: agentJobs.kind, n: count() })
        .from(agentJobs)
        .where(eq(agentJobs.accountId, big.accountId))
        .groupBy(agentJobs.kind);
      expect(Object.fromEntries(jobs.map((j) => [j.kind, j.n]))).toEqual({ precheck: 1, fix: 3, scan: 1 });
      const open = await ctx.database.db
        .select({ status: vulnerabilities.status })
        .from(vulnerabilities)
        .where(eq(vulnerabilities.accountId, big.accountId));
      expect(open.map((v) => v.status)).toEqual(['fixed', 'fixed', 'fixed']);
      await api(big, 'POST', `/v1/playbook/tasks/${task.id}/cancel`, undefined, 200);
    } finally {
      await big.fleet.stop();
    }
  });
});
