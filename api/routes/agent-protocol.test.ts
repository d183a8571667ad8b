import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  TimeoutFailure,
  WorkflowFailedError,
} from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAgent } from '../../agent/agent.js';
import { startSimAgent } from '../../test/sim-agent.js';
import { markSilentAgentsOffline } from '../../services/agents/mark-silent-agents-offline.js';
import { AGENT_JOB_FAILURES, createAgentActivities } from '../../activities/agents/run-agent-job.js';
import { agentIsOnline } from '../../services/agents/agent-presence.js';
import { assets } from '../../db/schema/inventory.js';
import { agentEnrollmentTokens, agentJobs } from '../../db/schema/agents.js';
import { uuidv7 } from '../../domain/ids.js';
import { createTestContext, type TestAccount, type TestContext } from '../../test/harness.js';
import { runAgentJobWorkflow, type RunAgentJobWorkflowInput } from '../../workflows/agent-jobs.js';

let ctx: TestContext;
let base: string;
let account: TestAccount;
let tmp: string;
const running: RunningAgent[] = [];

beforeAll(async () => {
  ctx = await createTestContext({ workers: true });
  base = await ctx.listen();
  account = await ctx.createAccount();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'vigil-agent-test-'));
});

afterAll(async () => {
  await Promise.all(running.map((a) => a.stop()));
  await ctx?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function enrollmentToken(body: Record<string, unknown> = {}, key = account.apiKey) {
  const res = await ctx.request('POST', '/v1/agent-enrollment-tokens', { key, body });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; token: string; uses: number };
}

function simAgent(opts: { hostname: string; enrollToken?: string; stateDir?: string }): RunningAgent {
  const agent = startSimAgent(base, opts.hostname, {
    enrollToken: opts.enrollToken,
    stateDir: opts.stateDir ?? null,
  });
  running.push(agent);
  return agent;
}

function startJob(input: Omit<RunAgentJobWorkflowInput, 'accountId'>) {
  return ctx.services.temporal.workflow.start(runAgentJobWorkflow, {
    taskQueue: ctx.services.taskQueues.playbook,
    workflowId: `agent-job-test:${uuidv7()}`,
    args: [{ accountId: account.accountId, heartbeatTimeoutMs: 10_000, ...input }],
  });
}

async function jobRow(jobKey: string) {
  const [row] = await ctx.services.db
    .select()
    .from(agentJobs)
    .where(and(eq(agentJobs.accountId, account.accountId), eq(agentJobs.jobKey, jobKey)));
  return row;
}

async function until<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function agentToken(stateDir: string): Promise<string> {
  return (JSON.parse(await readFile(path.join(stateDir, 'agent.json'), 'utf8')) as { agentToken: string })
    .agentToken;
}

const agentFetch = (token: string, method: string, p: string, body?: unknown) =>
  fetch(`${base}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('agent protocol end to end', () => {
  let web: RunningAgent;
  let webAssetId: string;
  let webStateDir: string;
  let enrollment: { id: string; token: string };

  beforeAll(async () => {
    enrollment = await enrollmentToken({ maxUses: 10, description: 'test fleet' });
    webStateDir = path.join(tmp, 'web-01');
    web = simAgent({ hostname: 'web-01', enrollToken: enrollment.token, stateDir: webStateDir });
    webAssetId = (await web.ready).assetId;
  });

  it('registers the host as an online asset and runs a job with its full output stored', async () => {
    const asset = await (
      await ctx.request('GET', `/v1/assets/${webAssetId}`, { key: account.apiKey })
    ).json();
    expect(asset).toMatchObject({ hostname: 'web-01', instanceId: 'i-web-01', agentStatus: 'online' });

    const bigOutput = Array.from({ length: 3000 }, (_, i) => `line ${i} ${'x'.repeat(60)}`).join('\n');
    const jobKey = `t1:1:${webAssetId}:v1:fix:1`;
    const handle = await startJob({
      assetId: webAssetId,
      kind: 'fix',
      jobKey,
      payload: { packageName: 'openssh-server', fixedVersion: '1:9.6p1-3', simulate: { output: bigOutput } },
      summary: 'fix CVE-2024-6387 (openssh-server) on web-01',
      group: 'playbook-task:t1',
    });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'succeeded', exitCode: 0, details: { simulated: true } });
    expect(result.output).toBe(`${bigOutput}\n`);
    const row = await jobRow(jobKey);
    expect(row).toMatchObject({
      status: 'succeeded',
      exitCode: 0,
      kind: 'fix',
      group: 'playbook-task:t1',
      attempt: 1,
    });
    expect(row?.output.length).toBe(bigOutput.length + 1);
    expect(row?.outputLength).toBe(bigOutput.length + 1);
    expect(row?.startedAt).toBeInstanceOf(Date);
    expect(row?.finishedAt?.getTime()).toBeGreaterThanOrEqual(row?.startedAt?.getTime() ?? Infinity);
    expect(row?.deliveredAt).toBeInstanceOf(Date);
  });

  it('reports a non-zero exit code as a failed result, not an activity failure', async () => {
    const handle = await startJob({
      assetId: webAssetId,
      kind: 'fix',
      jobKey: `t1:1:${webAssetId}:v2:fix:1`,
      payload: { packageName: 'bash', simulate: { exitCode: 3, output: 'E: broken' } },
    });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(result.output).toContain('E: broken');
  });

  it('returns the stored result for a job key that already ran, without running it again', async () => {
    const jobKey = `t1:1:${webAssetId}:v3:scan:1`;
    const req = { assetId: webAssetId, kind: 'scan' as const, jobKey, payload: { packageName: 'curl' } };
    const first = await (await startJob(req)).result();
    const doneBefore = web.stats().done;
    const second = await (
      await startJob({ ...req, payload: { packageName: 'curl', simulate: { exitCode: 9 } } })
    ).result();
    expect(second).toEqual(first);
    expect(web.stats().done).toBe(doneBefore);
    const rows = await ctx.services.db.select().from(agentJobs).where(eq(agentJobs.jobKey, jobKey));
    expect(rows).toHaveLength(1);
  });

  it('cancels a running job through the agent heartbeat and the workflow ends cancelled', async () => {
    const jobKey = `t2:1:${webAssetId}:v1:fix:1`;
    const cancelledBefore = web.stats().cancelled;
    const handle = await startJob({
      assetId: webAssetId,
      kind: 'fix',
      jobKey,
      payload: { packageName: 'openssl', simulate: { latencyMs: 60_000 } },
    });
    await until(async () => (await jobRow(jobKey))?.startedAt);
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    const row = await until(async () => {
      const r = await jobRow(jobKey);
      return r?.status === 'cancelled' && r;
    });
    expect(row.exitCode).toBe(130);
    expect(row.output).toContain('[vigil-agent] cancelled');
    expect(web.stats().cancelled).toBe(cancelledBefore + 1);
  });

  it('cancelAgentJobs stops a group: the running job is told on its next heartbeat', async () => {
    const jobKey = `t3:1:${webAssetId}:v1:fix:1`;
    const handle = await startJob({
      assetId: webAssetId,
      kind: 'fix',
      jobKey,
      group: 'playbook-task:t3',
      payload: { packageName: 'openssl', simulate: { latencyMs: 60_000 } },
    });
    await until(async () => (await jobRow(jobKey))?.startedAt);
    const { cancelAgentJobs } = createAgentActivities(ctx.services);
    expect(await cancelAgentJobs({ accountId: account.accountId, group: 'playbook-task:t3' })).toEqual({
      cancelled: 1,
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ActivityFailure);
    expect(cause?.cause).toBeInstanceOf(ApplicationFailure);
    expect((cause?.cause as ApplicationFailure).type).toBe(AGENT_JOB_FAILURES.cancelled);
    expect((await jobRow(jobKey))?.status).toBe('cancelled');
  });

  it("keeps each agent token to its own asset's jobs", async () => {
    const other = await enrollmentToken({ maxUses: 1 });
    const dbStateDir = path.join(tmp, 'db-01');
    const db = simAgent({ hostname: 'db-01', enrollToken: other.token, stateDir: dbStateDir });
    const dbAssetId = (await db.ready).assetId;
    expect(dbAssetId).not.toBe(webAssetId);
    const jobKey = `t4:1:${dbAssetId}:v1:fix:1`;
    const handle = await startJob({
      assetId: dbAssetId,
      kind: 'fix',
      jobKey,
      payload: { packageName: 'postgresql', simulate: { latencyMs: 1_500 } },
    });
    const row = await until(async () => (await jobRow(jobKey))?.startedAt && jobRow(jobKey));
    const webToken = await agentToken(webStateDir);
    const attempts = [
      await agentFetch(webToken, 'POST', `/agent/v1/jobs/${row.id}/heartbeat`, {}),
      await agentFetch(webToken, 'POST', `/agent/v1/jobs/${row.id}/output`, { offset: 0, data: 'x' }),
      await agentFetch(webToken, 'POST', `/agent/v1/jobs/${row.id}/result`, {
        status: 'succeeded',
        exitCode: 0,
      }),
    ];
    expect(attempts.map((r) => r.status)).toEqual([404, 404, 404]);
    expect((await handle.result()).status).toBe('succeeded');
    expect((await jobRow(jobKey))?.output).not.toContain('x\n');
    const noToken = await fetch(`${base}/agent/v1/jobs?waitSeconds=0`);
    expect(noToken.status).toBe(401);
    const badToken = await agentFetch('vga_nope', 'GET', '/agent/v1/jobs?waitSeconds=0');
    expect(badToken.status).toBe(401);
    await db.stop({ graceful: true });
  });

  it('fails the step by heartbeat timeout when the agent dies mid-job', async () => {
    const other = await enrollmentToken({});
    const doomed = simAgent({ hostname: 'cache-01', enrollToken: other.token });
    const assetId = (await doomed.ready).assetId;
    const jobKey = `t5:1:${assetId}:v1:fix:1`;
    const handle = await startJob({
      assetId,
      kind: 'fix',
      jobKey,
      heartbeatTimeoutMs: 1_500,
      payload: { packageName: 'redis', simulate: { latencyMs: 60_000 } },
    });
    await until(async () => (await jobRow(jobKey))?.startedAt);
    await doomed.stop();
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activityFailure = (err as WorkflowFailedError).cause;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    expect(activityFailure?.cause).toBeInstanceOf(TimeoutFailure);
    expect((activityFailure?.cause as TimeoutFailure).timeoutType).toBe('HEARTBEAT');
    expect((await jobRow(jobKey))?.status).toBe('running');
  });

  it('reuses the stored agent token after a restart instead of enrolling again', async () => {
    const before = web.stats();
    await web.stop({ graceful: true });
    const [tokenRow] = await ctx.services.db
      .select({ uses: agentEnrollmentTokens.uses })
      .from(agentEnrollmentTokens)
      .where(eq(agentEnrollmentTokens.id, enrollment.id));
    const restarted = simAgent({ hostname: 'web-01', stateDir: webStateDir });
    expect((await restarted.ready).assetId).toBe(webAssetId);
    const result = await (
      await startJob({
        assetId: webAssetId,
        kind: 'precheck',
        jobKey: `t6:${webAssetId}:precheck`,
        payload: {},
      })
    ).result();
    expect(result.status).toBe('succeeded');
    expect(restarted.stats().done).toBe(1);
    expect(before.done).toBeGreaterThan(0);
    const [after] = await ctx.services.db
      .select({ uses: agentEnrollmentTokens.uses })
      .from(agentEnrollmentTokens)
      .where(eq(agentEnrollmentTokens.id, enrollment.id));
    expect(after?.uses).toBe(tokenRow?.uses);
  });
});

describe('enrollment tokens', () => {
  const register = (enrollmentToken: string, hostname = 'h-1') =>
    fetch(`${base}/agent/v1/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enrollmentToken, hostname, osFamily: 'linux', executor: 'simulate' }),
    });

  it('spends a limited token exactly maxUses times when a fleet registers at once', async () => {
    const limited = await enrollmentToken({ maxUses: 3 });
    const statuses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => register(limited.token, `h-race-${i}`).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    const [row] = await ctx.services.db
      .select({ uses: agentEnrollmentTokens.uses })
      .from(agentEnrollmentTokens)
      .where(eq(agentEnrollmentTokens.id, limited.id));
    expect(row?.uses).toBe(3);
  });

  it('refuses unknown, expired, used-up and deleted tokens with 401', async () => {
    expect((await register('vge_unknown')).status).toBe(401);

    const once = await enrollmentToken({ maxUses: 1 });
    expect((await register(once.token, 'h-once')).status).toBe(201);
    const again = await register(once.token, 'h-once-2');
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: { message: string } }).error.message).toMatch(/maximum/);

    const expiring = await enrollmentToken({});
    await ctx.services.db
      .update(agentEnrollmentTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(agentEnrollmentTokens.id, expiring.id));
    const expired = await register(expiring.token, 'h-exp');
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: { message: string } }).error.message).toMatch(/expired/);

    const doomed = await enrollmentToken({});
    const del = await ctx.request('DELETE', `/v1/agent-enrollment-tokens/${doomed.id}`, {
      key: account.apiKey,
    });
    expect(del.status).toBe(204);
    expect((await register(doomed.token, 'h-del')).status).toBe(401);
  });

  it('validates the creation body and keeps tokens to their account', async () => {
    const bad = await ctx.request('POST', '/v1/agent-enrollment-tokens', {
      key: account.apiKey,
      body: { maxUses: 0, extra: true },
    });
    expect(bad.status).toBe(400);
    const stranger = await ctx.createAccount('stranger');
    const [asset] = await (
      await ctx.request('GET', '/v1/assets', { key: account.apiKey })
    )
      .json()
      .then((b) => (b as { items: { id: string }[] }).items);
    const foreign = await ctx.request('POST', '/v1/agent-enrollment-tokens', {
      key: stranger.apiKey,
      body: { assetId: asset?.id },
    });
    expect(foreign.status).toBe(404);
    const mine = await enrollmentToken({});
    expect(
      (await ctx.request('DELETE', `/v1/agent-enrollment-tokens/${mine.id}`, { key: stranger.apiKey }))
        .status,
    ).toBe(404);
    const list = (await (
      await ctx.request('GET', '/v1/agent-enrollment-tokens', { key: stranger.apiKey })
    ).json()) as {
      items: unknown[];
    };
    expect(list.items).toHaveLength(0);
    const own = (await (
      await ctx.request('GET', '/v1/agent-enrollment-tokens?limit=500', { key: account.apiKey })
    ).json()) as {
      items: Record<string, unknown>[];
    };
    expect(own.items.length).toBeGreaterThan(0);
    expect(own.items.every((t) => !('token' in t) && !('tokenHash' in t))).toBe(true);
  });

  it('binds an agent to the asset named by the token', async () => {
    const upsert = await ctx.request('POST', '/v1/assets', {
      key: account.apiKey,
      body: { assets: [{ instanceId: 'i-bound', name: 'bound', hostname: 'bound', osFamily: 'linux' }] },
    });
    const [assetId] = ((await upsert.json()) as { ids: string[] }).ids;
    const bound = await enrollmentToken({ assetId });
    const res = await register(bound.token, 'some-other-name');
    expect(res.status).toBe(201);
    expect(((await res.json()) as { assetId: string }).assetId).toBe(assetId);
  });
});

describe('agent protocol over raw HTTP', () => {
  let token: string;
  let assetId: string;

  beforeAll(async () => {
    const enrollment = await enrollmentToken({ maxUses: 1 });
    const res = await fetch(`${base}/agent/v1/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        enrollmentToken: enrollment.token,
        hostname: 'raw-01',
        osFamily: 'linux',
        executor: 'apt',
        agentVersion: 'raw',
      }),
    });
    expect(res.status).toBe(201);
    ({ agentToken: token, assetId } = (await res.json()) as { agentToken: string; assetId: string });
  });

  const poll = async (waitSeconds = 5) => {
    const res = await agentFetch(token, 'GET', `/agent/v1/jobs?waitSeconds=${waitSeconds}`);
    return res.status === 204 ? null : ((await res.json()) as { id: string; kind: string; payload: unknown });
  };

  it('appends output chunks exactly once and fails a job the agent lost in a restart', async () => {
    const handle = await startJob({
      assetId,
      kind: 'fix',
      jobKey: 'raw:lost',
      payload: { packageName: 'zlib1g' },
    });
    const job = await poll();
    expect(job).toMatchObject({ kind: 'fix', payload: { packageName: 'zlib1g' } });
    const id = job?.id ?? '';
    const out = (offset: number, data: string) =>
      agentFetch(token, 'POST', `/agent/v1/jobs/${id}/output`, { offset, data });
    expect(await (await out(0, 'abc')).json()).toEqual({ outputLength: 3 });
    expect(await (await out(0, 'abc')).json()).toEqual({ outputLength: 3 });
    expect(await (await out(2, 'cde')).json()).toEqual({ outputLength: 5 });
    const gap = await out(10, 'x');
    expect(gap.status).toBe(409);
    expect(((await gap.json()) as { error: { details: unknown } }).error.details).toEqual({
      expectedOffset: 5,
    });
    const hb = await agentFetch(token, 'POST', `/agent/v1/jobs/${id}/heartbeat`, {
      output: { offset: 5, data: 'f' },
    });
    expect(await hb.json()).toEqual({ cancel: false, outputLength: 6 });

    // Asking for work while holding a started job means the agent lost it.
    expect(await poll(0)).toBeNull();
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'failed', exitCode: -1, details: { lost: true } });
    expect(result.output.startsWith('abcdef')).toBe(true);
  });

  it('hands a never-started job out again, and applies a result once', async () => {
    const handle = await startJob({ assetId, kind: 'scan', jobKey: 'raw:requeue', payload: {} });
    const first = await poll();
    const again = await poll(); // no heartbeat in between: the first response counts as lost in transit
    expect(again?.id).toBe(first?.id);
    const id = again?.id ?? '';
    const post = () =>
      agentFetch(token, 'POST', `/agent/v1/jobs/${id}/result`, {
        status: 'succeeded',
        exitCode: 0,
        output: 'done\n',
        details: { vulnerable: false },
      });
    expect(await (await post()).json()).toEqual({ status: 'succeeded', applied: true });
    expect(await (await post()).json()).toEqual({ status: 'succeeded', applied: false });
    expect(await handle.result()).toMatchObject({
      status: 'succeeded',
      output: 'done\n',
      details: { vulnerable: false },
    });
  });

  it('lets a retried activity attach to the running job: one job, the result completes the new attempt', async () => {
    const handle = await startJob({
      assetId,
      kind: 'fix',
      jobKey: 'raw:retry',
      payload: {},
      heartbeatTimeoutMs: 1_000,
      maximumAttempts: 2,
    });
    const job = await poll();
    expect(job).not.toBeNull();
    // The agent stays silent past the heartbeat timeout; attempt 2 attaches to the same job.
    const row = await until(async () => {
      const r = await jobRow('raw:retry');
      return r?.attempt === 2 && r;
    });
    expect(row.status).toBe('running');
    const res = await agentFetch(token, 'POST', `/agent/v1/jobs/${job?.id ?? ''}/result`, {
      status: 'succeeded',
      exitCode: 0,
      output: 'late but fine\n',
    });
    expect(await res.json()).toEqual({ status: 'succeeded', applied: true });
    expect(await handle.result()).toMatchObject({
      jobId: job?.id,
      status: 'succeeded',
      output: 'late but fine\n',
    });
    const rows = await ctx.services.db.select().from(agentJobs).where(eq(agentJobs.jobKey, 'raw:retry'));
    expect(rows).toHaveLength(1);
  });

  it('cancels a queued job at once, and an offline agent never receives it', async () => {
    const handle = await startJob({
      assetId,
      kind: 'fix',
      jobKey: 'raw:queued',
      group: 'g-queued',
      payload: {},
    });
    await until(async () => (await jobRow('raw:queued'))?.status === 'pending');
    const started = Date.now();
    const { cancelAgentJobs } = createAgentActivities(ctx.services);
    expect(await cancelAgentJobs({ accountId: account.accountId, group: 'g-queued' })).toEqual({
      cancelled: 1,
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(((err as WorkflowFailedError).cause?.cause as ApplicationFailure).type).toBe(
      AGENT_JOB_FAILURES.cancelled,
    );
    expect(Date.now() - started).toBeLessThan(5_000); // well before the 10 s heartbeat timeout
    expect(await poll(0)).toBeNull();
  });

  it('reports the agent online while it polls and offline once silent', async () => {
    expect(await agentIsOnline(ctx.services.db, account.accountId, assetId)).toBe(true);
    const stranger = await ctx.createAccount('other');
    expect(await agentIsOnline(ctx.services.db, stranger.accountId, assetId)).toBe(false);
    await ctx.services.db
      .update(assets)
      .set({ lastSeenAt: new Date(Date.now() - 10 * 60_000) })
      .where(eq(assets.id, assetId));
    expect(await agentIsOnline(ctx.services.db, account.accountId, assetId)).toBe(false);
    expect(await markSilentAgentsOffline(ctx.services.db)).toBeGreaterThanOrEqual(1);
    const asset = (await (
      await ctx.request('GET', `/v1/assets/${assetId}`, { key: account.apiKey })
    ).json()) as {
      agentStatus: string;
    };
    expect(asset.agentStatus).toBe('offline');
    await poll(0);
    const back = (await (
      await ctx.request('GET', `/v1/assets/${assetId}`, { key: account.apiKey })
    ).json()) as {
      agentStatus: string;
    };
    expect(back.agentStatus).toBe('online');
  });
});
