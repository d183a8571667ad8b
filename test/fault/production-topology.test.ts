import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createAccount } from '../../services/accounts/create-account.js';
import { saveMemberSettings } from '../../services/multi-account/save-member-settings.js';
import { recordFixTask } from '../../services/playbook/record-fix-task.js';
import { taskWorkflowId } from '../../services/playbook/task-workflow.js';
import { agentJobs } from '../../db/schema/agents.js';
import { memberSettingsRevisions } from '../../db/schema/multi-account.js';
import { playbookTasks } from '../../db/schema/playbook.js';
import { reports } from '../../db/schema/reports.js';
import { memberSettingsWorkflowId } from '../../domain/multi-account/rollout.js';
import { ZMemberSettingsSchema } from '../../domain/multi-account/member-settings.js';
import { isPeriodicType } from '../../domain/reports/rules.js';
import { maintenanceScheduleId } from '../../platform/maintenance.js';
import { createFleet } from '../../platform/playbook-fleet.js';
import type { MaintenanceResult } from '../../workflows/maintenance.js';
import { createScratchPostgres } from '../database.js';
import {
  deploymentEnv,
  cleanUp,
  cleanUpLater,
  startApi,
  startTemporal,
  startWorker,
  stopProcess,
  until,
  type VigilProcess,
} from './processes.js';
import { agentExecutions, temporalClient, waitForFinalTask, workflowRuns } from './world.js';

vi.setConfig({ testTimeout: 240_000 });

// Separate processes share one database: Postgres only, and once (in the postgres project).
const adminUrl = process.env.TEST_DATABASE_URL;
const enabled = adminUrl !== undefined && process.env.VIGIL_TEST_DB === 'postgres';

afterAll(cleanUp);

async function call(url: string, key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

describe.runIf(enabled)('production topology: npm run api + two npm run worker replicas', () => {
  it('runs every background duty, and each exactly once', async () => {
    const t0 = Date.now();
    const temporal = await startTemporal();
    cleanUpLater(() => temporal.stop());
    const scratch = await createScratchPostgres(adminUrl ?? '', 'vigil_topo');
    cleanUpLater(() => scratch.handle.close());
    const { db } = scratch.handle;
    const env = {
      ...deploymentEnv({ databaseUrl: scratch.url, temporalAddress: temporal.address }),
      // Short, so that several runs happen during the test and a repeated run is seen to change nothing.
      VIGIL_MAINTENANCE_INTERVAL_SECONDS: '3',
    };
    const api = await startApi(env);

    // What a crash left behind while no worker ran: …
    // … a Playbook task whose row is committed but whose workflow start never happened,
    const { account, adminKey } = await createAccount(db, { name: 'topology' });
    const w = { accountId: account.id, apiKey: adminKey.key };
    const fleet = await createFleet({
      baseUrl: api.url,
      apiKey: w.apiKey,
      prefix: 'topo',
      assets: 3,
      vulnerabilitiesPerAsset: 1,
      agent: { latencyMs: 50, heartbeatIntervalMs: 1000, pollWaitSeconds: 5 },
    });
    cleanUpLater(() => fleet.stop());
    const { task } = await recordFixTask(
      db,
      { accountId: w.accountId, actor: 'test', requestId: 'topology' },
      {
        policyId: fleet.policyId,
        body: {
          name: 'left by a crash',
          assets: { assetIds: fleet.assets.map((a) => a.id), groupIds: [], excludeAssetIds: [] },
          vulnerabilityIds: fleet.vulnerabilityIds,
          channelIds: [],
          execution: { mode: 'now' },
        },
      },
    );
    // … a member account created through the resource directory (its default report has no schedule yet),
    await call(api.url, w.apiKey, 'POST', '/v1/resource-directory', { name: 'topology' });
    const member = await call(api.url, w.apiKey, 'POST', '/v1/resource-directory/accounts', {
      name: 'member',
    });
    const memberId = String(member.id);
    await call(api.url, w.apiKey, 'POST', '/v1/multi-account/members', { accountId: memberId });
    // … and a member-settings revision saved but never rolled out.
    await saveMemberSettings(db, {
      by: { accountId: w.accountId, actor: 'test' },
      memberId,
      settings: ZMemberSettingsSchema.parse({
        clientManagement: {
          proactiveDefense: true,
          webshellDetection: true,
          k8sThreatDetection: false,
          adaptiveThreatDetection: false,
          alertAggregation: true,
          protectionMode: 'businessFirst',
          clientProtection: true,
          clientEngine: false,
        },
        vulnerabilityManagement: {
          autoScan: { linux: true, windows: true, webcms: true, app: false, emergency: true },
          scanCycleDays: 1,
          scannedAssets: { mode: 'all' },
          deleteAfterDays: 30,
        },
        baselinePolicies: [],
      }),
    });

    // Two worker replicas start at the same moment; each creates the maintenance Schedule and triggers it.
    const workers: VigilProcess[] = await Promise.all([startWorker(env), startWorker(env)]);
    const ready = Date.now();

    expect(await waitForFinalTask(db, task.id, 120_000)).toBe('Succeeded');
    const periodic = (await db.select().from(reports)).filter((r) => r.enabled && isPeriodicType(r.type));
    expect(periodic.map((r) => r.accountId).sort()).toEqual([w.accountId, memberId].sort());
    const { client, close } = await temporalClient(temporal.address);
    cleanUpLater(close);
    const scheduleIds = async () => {
      const ids: string[] = [];
      for await (const s of client.schedule.list()) ids.push(s.scheduleId);
      return ids.sort();
    };
    const wanted = [
      maintenanceScheduleId(env.VIGIL_TASK_QUEUE_PREFIX),
      ...periodic.map((r) => `report:${r.id}`),
    ];
    await until(
      async () => JSON.stringify(await scheduleIds()) === JSON.stringify(wanted.sort()),
      60_000,
      () => 'the report schedules were not created',
    );
    await until(
      async () =>
        (
          await db
            .select()
            .from(memberSettingsRevisions)
            .where(
              and(
                eq(memberSettingsRevisions.accountId, memberId),
                isNotNull(memberSettingsRevisions.rolloutStartedAt),
              ),
            )
        ).length === 1,
      60_000,
      () => 'the member settings rollout was not started',
    );

    // Let more scheduled runs happen: repeats must change nothing.
    const runs = async () => {
      const out: { start: number; end: number; result: MaintenanceResult }[] = [];
      const query = `WorkflowType = 'vigilMaintenanceWorkflow' AND ExecutionStatus = 'Completed'`;
      for await (const e of client.workflow.list({ query })) {
        const result = (await client.workflow.getHandle(e.workflowId, e.runId).result()) as MaintenanceResult;
        out.push({ start: e.startTime.getTime(), end: e.closeTime?.getTime() ?? 0, result });
      }
      return out.sort((a, b) => a.start - b.start);
    };
    await until(
      async () => (await runs()).length >= 4,
      60_000,
      () => 'fewer than 4 maintenance runs completed',
    );
    const done = await runs();

    // Counted from Temporal: each duty's effect happened once over all runs of both replicas …
    const sum = (f: (r: MaintenanceResult) => number) => done.reduce((n, d) => n + f(d.result), 0);
    expect(sum((r) => r.playbookTasksStarted ?? 0)).toBe(1);
    expect(sum((r) => r.reportSchedules?.created ?? 0)).toBe(periodic.length);
    expect(sum((r) => r.reportSchedules?.updated ?? 0)).toBe(0);
    expect(sum((r) => r.memberSettingsRolloutsStarted ?? 0)).toBe(1);
    expect(done.every((d) => d.result.failed.length === 0)).toBe(true);
    // … the runs never overlapped (one Schedule, overlap SKIP, however many replicas) …
    for (let i = 1; i < done.length; i++)
      expect(done[i]?.start).toBeGreaterThanOrEqual(done[i - 1]?.end ?? 0);
    // … the task's workflow and the rollout each ran once, and every agent job ran once.
    expect(await workflowRuns(client, taskWorkflowId(task.id))).toBe(1);
    expect(await workflowRuns(client, memberSettingsWorkflowId(memberId, 1))).toBe(1);
    const [row] = await db
      .select()
      .from(playbookTasks)
      .where(inArray(playbookTasks.id, [task.id]));
    expect(row?.startedExecution).toBe(1);
    const jobs = await db.select().from(agentJobs).where(eq(agentJobs.accountId, w.accountId));
    expect(jobs).toHaveLength(9); // 3 assets × (precheck, fix, verification scan)
    expect(jobs.every((j) => j.status === 'succeeded')).toBe(true);
    expect(agentExecutions(fleet)).toBe(9);

    // An orderly stop of every process (SIGTERM, what an orchestrator sends) exits 0.
    await fleet.stop();
    expect(await Promise.all([...workers, api].map((p) => stopProcess(p)))).toEqual([0, 0, 0]);
    process.stdout.write(
      `production topology: ready ${((ready - t0) / 1000).toFixed(1)} s, duties done and checked ` +
        `${((Date.now() - ready) / 1000).toFixed(1)} s later; ${done.length} maintenance runs; ` +
        `tasks started 1, report schedules created ${periodic.length}, rollouts started 1\n`,
    );
  });
});
