import { and, eq, like } from 'drizzle-orm';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentEvent, type RunningAgent } from '../agent/agent.js';
import { startSimAgent } from './sim-agent.js';
import type { ExecutorOptions } from '../agent/executors/index.js';
import { agentJobs } from '../db/schema/agents.js';
import { auditLog } from '../db/schema/audit.js';
import { baselineRisks, vulnerabilities } from '../db/schema/findings.js';
import { memberSettingsAgents } from '../db/schema/multi-account.js';
import { DEFAULT_MEMBER_SETTINGS, type TMemberSettings } from '../domain/multi-account/member-settings.js';
import type { TBaselineCheck } from '../api/routes/baseline-checks.js';
import type { BaselineCheckResult } from '../workflows/baseline-check.js';
import { createTestContext, type TestAccount, type TestContext } from './harness.js';
import { managedMemberWithToken } from './contract.js';
import {
  openScapPresent,
  PREPARED_ROOT_CHECK_ITEMS,
  PREPARED_ROOT_RULES,
  writePreparedRoot,
} from './fixtures/prepared-root.js';

/**
 * Issue 16: a member's protection settings drive real agents over real HTTP. A rollout changes how often a host
 * scans and whether it scans at all; findings not seen again for `deleteAfterDays` are deleted by a workflow on a
 * clock of its own; baseline policies run OpenSCAP on a prepared root and their failed rules become risks that close
 * once fixed.
 */
describe('settings drive the agents', () => {
  let ctx: TestContext;
  let base: string;
  let mgmt: TestAccount;
  let member: TestAccount;
  let enrollToken: string;
  let dir: string;
  const running: RunningAgent[] = [];

  const call = async <T = Record<string, unknown>>(
    method: string,
    url: string,
    key: string,
    body?: unknown,
  ): Promise<T> => {
    const res = await ctx.request(method, url, { key, body });
    const text = await res.text();
    expect(res.status, text).toBeLessThan(300);
    return JSON.parse(text) as T;
  };

  const until = async <T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000) => {
    const deadline = Date.now() + ms;
    let last: T | undefined;
    while (Date.now() < deadline) {
      last = await read();
      if (ok(last)) return last;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`${what} never happened; last: ${JSON.stringify(last)}`);
  };

  const startHost = async (
    hostname: string,
    executorOptions: ExecutorOptions,
    onEvent?: (e: AgentEvent) => void,
  ) => {
    const agent = startSimAgent(base, hostname, {
      enrollToken,
      executorOptions: { latencyMs: 10, seed: 1, ...executorOptions },
      onEvent,
    });
    running.push(agent);
    return agent.ready;
  };

  let revision = 0;
  /** Saves settings through the API (a rollout) and waits until every agent of the member reports the revision. */
  const rollOut = async (change: (s: TMemberSettings) => void) => {
    const settings = structuredClone(DEFAULT_MEMBER_SETTINGS);
    change(settings);
    const saved = await call<{ revision: number }>(
      'PUT',
      `/v1/multi-account/members/${member.accountId}/settings`,
      mgmt.apiKey,
      settings,
    );
    revision = saved.revision;
    await until(
      `revision ${revision} on every agent`,
      () =>
        call<{ rollout: { status: string; driftCount: number } }>(
          'GET',
          `/v1/multi-account/members/${member.accountId}/settings`,
          mgmt.apiKey,
        ),
      (s) => s.rollout.status === 'converged' && s.rollout.driftCount === 0,
    );
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-agent-settings-'));
    ctx = await createTestContext({ workers: true });
    base = await ctx.listen();
    ({ mgmt, member, enrollToken } = await managedMemberWithToken(ctx));
  });

  afterAll(async () => {
    await Promise.all(running.map((a) => a.stop()));
    await ctx?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a rollout changes how often the agent scans, and whether it scans; the agent reports what it could not apply', async () => {
    const scans: number[] = [];
    const { assetId, agentId } = await startHost('scanner', { missingUpdates: 2 }, (e) => {
      if (e.type === 'job-started' && e.job.kind === 'scan') scans.push(Date.now());
    });
    await rollOut((s) => {
      s.vulnerabilityManagement.scanCycleDays = 1;
      s.vulnerabilityManagement.scanMethod = 'agentless';
    });
    // The agent applied the revision and said what it could not: Windows/Web-CMS scans, the scan method, engines.
    const [applied] = await ctx.services.db
      .select()
      .from(memberSettingsAgents)
      .where(
        and(eq(memberSettingsAgents.accountId, member.accountId), eq(memberSettingsAgents.agentId, agentId)),
      );
    expect(applied?.appliedRevision).toBe(revision);
    expect(applied?.unapplied.map((u) => u.setting)).toEqual(
      expect.arrayContaining([
        'vulnerabilityManagement.autoScan.windows',
        'vulnerabilityManagement.scanMethod',
        'clientManagement.webshellDetection',
      ]),
    );
    expect(applied?.unapplied.map((u) => u.setting)).not.toContain('vulnerabilityManagement.autoScan.linux');
    // The member sees both on its own agents: on the latest revision, yet drifting by what it could not apply.
    const own = await call<{
      items: { id: string; appliedRevision: number; drift: boolean; unapplied: unknown[] }[];
    }>('GET', '/v1/agent-settings', member.apiKey);
    expect(own.items.find((a) => a.id === agentId)).toMatchObject({
      appliedRevision: revision,
      drift: true,
      unapplied: expect.arrayContaining([
        { setting: 'vulnerabilityManagement.scanMethod', reason: expect.stringContaining('agentless') },
      ]),
    });
    expect((await call<{ items: unknown[] }>('GET', '/v1/agent-settings', mgmt.apiKey)).items).toEqual([]);
    // The administrator's drift view lists the agent as on the revision, yet not wholly applied, with the reasons.
    const state = await call<{
      drift: unknown[];
      partial: { agentId: string; appliedRevision: number; unapplied: { setting: string }[] }[];
    }>('GET', `/v1/multi-account/members/${member.accountId}/settings`, mgmt.apiKey);
    const partial = state.partial.find((a) => a.agentId === agentId);
    expect(partial?.appliedRevision).toBe(revision);
    expect(partial?.unapplied.map((u) => u.setting)).toContain('vulnerabilityManagement.scanMethod');

    // The enrollment loop waits real days; run the same loop with a 1.5 s "day" to watch the cadence.
    const loopId = `host-scan-cycle:${assetId}`;
    await until(
      'the enrollment scan',
      async () => scans.length,
      (n) => n >= 1,
    );
    await ctx.temporal.client.workflow.getHandle(loopId).terminate('the test runs the loop with a short day');
    const dayMs = 2_000;
    // A 3-day cycle is told apart from a 1-day one by this gap; the rest is the scan's own latency (a loaded CI).
    const threeDays = 3 * dayMs * 0.8;
    await ctx.temporal.client.workflow.start('hostScanCycleWorkflow', {
      workflowId: loopId,
      taskQueue: ctx.services.taskQueues.playbook,
      args: [{ accountId: member.accountId, assetId, assetName: 'scanner', cycle: 1, dayMs }],
    });
    const before = scans.length;
    await until(
      'three daily scans',
      async () => scans.length - before,
      (n) => n >= 3,
    );
    const daily = scans
      .slice(before)
      .map((t, i, a) => (i === 0 ? 0 : t - (a[i - 1] ?? t)))
      .slice(1);
    for (const gap of daily) expect(gap).toBeGreaterThan(dayMs * 0.8);
    for (const gap of daily) expect(gap).toBeLessThan(threeDays);

    // Every 3 days: the next cycles run three "days" apart.
    await rollOut((s) => {
      s.vulnerabilityManagement.scanCycleDays = 3;
    });
    const afterSlow = scans.length;
    await until(
      'two scans on the 3-day cycle',
      async () => scans.length - afterSlow,
      (n) => n >= 3,
      30_000,
    );
    const slow = scans.slice(afterSlow);
    expect((slow[2] ?? 0) - (slow[1] ?? 0)).toBeGreaterThan(threeDays);

    // Automatic scans of Linux vulnerabilities off: the loop keeps running but the agent scans no more.
    await rollOut((s) => {
      s.vulnerabilityManagement.scanCycleDays = 1;
      s.vulnerabilityManagement.autoScan.linux = false;
    });
    // The cycle already asleep may still scan once; after it, none.
    await new Promise((r) => setTimeout(r, 3 * dayMs + 500));
    const stopped = scans.length;
    await new Promise((r) => setTimeout(r, 3 * dayMs));
    expect(scans.length).toBe(stopped);
    const desc = await ctx.temporal.client.workflow.getHandle(loopId).describe();
    expect(desc.status.name).toBe('RUNNING');
    await ctx.temporal.client.workflow.getHandle(loopId).terminate('test over');
  }, 120_000);

  it('deletes vulnerabilities not detected again for deleteAfterDays, audited, on a clock of its own', async () => {
    await rollOut((s) => {
      s.vulnerabilityManagement.deleteAfterDays = 30;
    });
    const { assetId } = await startHost('retention', {});
    const t0 = Date.UTC(2027, 0, 1);
    const day = 86_400_000;
    const seed = (name: string, lastSeen: number, status: 'open' | 'fixed') =>
      ctx.services.db
        .insert(vulnerabilities)
        .values({
          accountId: member.accountId,
          assetId,
          type: 'linux',
          name,
          title: name,
          severity: 'high',
          status,
          source: 'agent',
          firstSeenAt: new Date(lastSeen),
          lastSeenAt: new Date(lastSeen),
        })
        .returning({ id: vulnerabilities.id });
    await seed('stale-29.5d', t0 - 29.5 * day, 'open');
    await seed('seen-10d-ago', t0 - 10 * day, 'open');
    await seed('fixed-long-ago', t0 - 300 * day, 'fixed');
    const names = async () =>
      (
        await ctx.services.db
          .select({ name: vulnerabilities.name })
          .from(vulnerabilities)
          .where(eq(vulnerabilities.assetId, assetId))
      )
        .map((r) => r.name)
        .sort();
    const audits = () =>
      ctx.services.db
        .select()
        .from(auditLog)
        .where(
          and(eq(auditLog.accountId, member.accountId), eq(auditLog.action, 'vulnerability.auto_delete')),
        );
    const handle = await ctx.temporal.client.workflow.start('findingRetentionWorkflow', {
      workflowId: `finding-retention-test:${member.accountId}`,
      taskQueue: ctx.services.taskQueues.playbook,
      args: [{ accountId: member.accountId, clock: { startAt: t0, dayMs: 250 } }],
    });
    // Day 0 keeps it (29.5 days unseen), day 1 deletes it (30.5 days).
    await until('the 29.5-day finding deleted', names, (n) => !n.includes('stale-29.5d'));
    const first = (await audits())[0];
    expect(first?.after).toMatchObject({
      at: new Date(t0 + day).toISOString(),
      deleteAfterDays: 30,
      cutoff: new Date(t0 + day - 30 * day).toISOString(),
      deleted: 1,
    });
    expect(first?.actor).toBe('finding-retention');
    expect(first?.before).toEqual([expect.objectContaining({ name: 'stale-29.5d' })]);
    expect(await names()).toEqual(['fixed-long-ago', 'seen-10d-ago']);
    // The finding seen 10 days before t0 goes on day 21 (31 days unseen); the fixed one stays.
    await until('the 10-day finding deleted', names, (n) => !n.includes('seen-10d-ago'), 30_000);
    const second = (await audits()).find((a) => JSON.stringify(a.before).includes('seen-10d-ago'));
    expect((second?.after as { cutoff: string }).cutoff).toBe(
      new Date(t0 + 21 * day - 30 * day).toISOString(),
    );
    expect(await names()).toEqual(['fixed-long-ago']);
    await handle.terminate('test over');
  }, 90_000);

  describe.skipIf(!openScapPresent)('baseline checks through OpenSCAP', () => {
    const checks = (assetId: string) =>
      call<{ items: TBaselineCheck[] }>('GET', `/v1/baseline-checks?assetId=${assetId}`, member.apiKey).then(
        (p) => p.items,
      );
    const check = async (assetId: string, assetName: string, tag: string) => {
      const started = Date.now();
      const result = await ctx.temporal.client.workflow.execute('baselineCheckWorkflow', {
        workflowId: `baseline-check:${assetId}:test-${tag}`,
        taskQueue: ctx.services.taskQueues.playbook,
        args: [
          {
            accountId: member.accountId,
            assetId,
            assetName,
            policyName: 'Account files',
            checkItems: PREPARED_ROOT_CHECK_ITEMS,
            reason: 'on-demand',
          },
        ],
      });
      return { result: result as BaselineCheckResult, ms: Date.now() - started };
    };

    it('reports the prepared root’s failing rules with evidence and remediation, and closes them once fixed', async () => {
      const root = path.join(dir, 'root');
      await writePreparedRoot(root, 'broken');
      const { assetId } = await startHost('scap-host', { baselineRoot: root });
      const broken = await check(assetId, 'scap-host', 'broken');
      console.log(`OpenSCAP check of the broken root: ${broken.ms} ms`);
      expect(broken.result).toMatchObject({ status: 'checked', failed: 5, passed: 1, opened: 5, closed: 0 });
      const [view] = await checks(assetId);
      expect(view).toMatchObject({
        status: 'checked',
        content: 'ssg-debian11-ds.xml',
        failed: 5,
        passed: 1,
        agentBaseline: { available: true },
      });
      expect(view?.risks.map((r) => r.ruleId).sort()).toEqual(PREPARED_ROOT_RULES.failing);
      const risk = (id: string) => view?.risks.find((r) => r.ruleId.endsWith(id));
      expect(risk('file_permissions_etc_passwd')).toMatchObject({
        title: 'Verify Permissions on passwd File',
        severity: 'medium',
        remediation: expect.stringContaining('chmod'),
      });
      expect(risk('file_permissions_etc_passwd')?.evidence).toMatch(/filepath=\/etc\/passwd .*owrite=true/);
      expect(risk('accounts_no_uid_except_zero')?.evidence).toContain('text=toor:x:0');
      expect(risk('no_empty_passwords_etc_shadow')).toMatchObject({ severity: 'high' });
      expect(risk('file_owner_etc_group')?.evidence).toContain('user_id=1000');

      await writePreparedRoot(root, 'fixed');
      const fixed = await check(assetId, 'scap-host', 'fixed');
      console.log(`OpenSCAP check of the fixed root: ${fixed.ms} ms`);
      expect(fixed.result).toMatchObject({ status: 'checked', failed: 0, passed: 6, opened: 0, closed: 5 });
      expect((await checks(assetId))[0]?.risks).toEqual([]);
      const rows = await ctx.services.db
        .select({ status: baselineRisks.status, resolvedAt: baselineRisks.resolvedAt })
        .from(baselineRisks)
        .where(eq(baselineRisks.assetId, assetId));
      expect(rows).toHaveLength(5);
      expect(rows.every((r) => r.status === 'handled' && r.resolvedAt !== null)).toBe(true);
      expect(broken.ms + fixed.ms).toBeLessThan(60_000);
    }, 90_000);

    it('shows that a host without OpenSCAP cannot check, and lists it in the agent’s unapplied settings', async () => {
      const { assetId, agentId } = await startHost('no-scap', { oscapCommand: '/nonexistent/oscap' });
      const { result } = await check(assetId, 'no-scap', 'none');
      expect(result).toMatchObject({ status: 'unsupported', failed: 0, opened: 0 });
      const [view] = await checks(assetId);
      expect(view).toMatchObject({
        status: 'unsupported',
        reason: expect.stringContaining('OpenSCAP is not installed'),
        agentBaseline: { available: false, reason: expect.stringContaining('OpenSCAP is not installed') },
        risks: [],
      });
      // Another account (here the management account, with its own key) sees none of the member's checks.
      const foreign = await call<{ items: unknown[] }>(
        'GET',
        `/v1/baseline-checks?assetId=${assetId}`,
        mgmt.apiKey,
      );
      expect(foreign.items).toEqual([]);
      await call('PATCH', '/v1/account', member.apiKey, { timeZone: 'Asia/Shanghai' });
      await rollOut((s) => {
        s.baselinePolicies = [
          {
            name: 'Nightly',
            checkItems: PREPARED_ROOT_CHECK_ITEMS,
            cycleDays: 1,
            startHour: 3,
            assets: { mode: 'selected', assetIds: [assetId] },
          },
        ];
      });
      const [state] = await ctx.services.db
        .select({ unapplied: memberSettingsAgents.unapplied })
        .from(memberSettingsAgents)
        .where(eq(memberSettingsAgents.agentId, agentId));
      expect(state?.unapplied).toContainEqual({
        setting: 'baselinePolicies',
        reason: expect.stringContaining('OpenSCAP is not installed'),
      });
      const jobs = await ctx.services.db
        .select({ id: agentJobs.id })
        .from(agentJobs)
        .where(and(eq(agentJobs.assetId, assetId), like(agentJobs.jobKey, 'baseline:%')));
      expect(jobs).toHaveLength(1);

      // The cycle: 03:00 in Shanghai (19:00 UTC), every day, on a clock where a day lasts 10 s.
      const startAt = Date.parse('2027-01-09T18:59:00Z');
      const loop = await ctx.temporal.client.workflow.start('baselineCheckCycleWorkflow', {
        workflowId: `baseline-check-cycle-test:${assetId}`,
        taskQueue: ctx.services.taskQueues.playbook,
        args: [
          { accountId: member.accountId, assetId, assetName: 'no-scap', clock: { startAt, dayMs: 10_000 } },
        ],
      });
      const runs = () =>
        ctx.services.db
          .select({ after: auditLog.after })
          .from(auditLog)
          .where(and(eq(auditLog.targetId, assetId), eq(auditLog.action, 'baseline_risk.host_check')))
          .then((rows) =>
            rows
              .map((r) => r.after as { policyName: string; checkedAt: string })
              .filter((a) => a.policyName === 'Nightly')
              .map((a) => Date.parse(a.checkedAt))
              .sort(),
          );
      const [firstRun, secondRun] = await until('two nightly checks', runs, (r) => r.length >= 2, 40_000);
      await loop.terminate('test over');
      const hours = 3_600_000;
      // Each at (or, with the scaled-up latency of the run, a little after) 03:00 local, one day apart.
      expect(firstRun).toBeGreaterThanOrEqual(Date.parse('2027-01-09T19:00:00Z'));
      expect(firstRun).toBeLessThan(Date.parse('2027-01-09T19:00:00Z') + 6 * hours);
      expect(secondRun).toBeGreaterThanOrEqual(Date.parse('2027-01-10T19:00:00Z'));
      expect(secondRun).toBeLessThan(Date.parse('2027-01-10T19:00:00Z') + 6 * hours);
    }, 90_000);
  });
});
