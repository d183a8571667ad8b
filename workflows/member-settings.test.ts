import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAgent } from '../agent/agent.js';
import { startSimAgent } from '../test/sim-agent.js';
import { agents } from '../db/schema/agents.js';
import { assets } from '../db/schema/inventory.js';
import { settingsWithMode, type TMemberSettings } from '../domain/multi-account/member-settings.js';
import { memberSettingsWorkflowId } from '../domain/multi-account/rollout.js';
import { createTestContext, type TestAccount, type TestContext } from '../test/harness.js';
import { managedMemberWithToken } from '../test/contract.js';
import type { MemberSettingsRolloutResult } from './member-settings.js';

/** Settings revisions rolled out to real agents (simulate executor) over real HTTP. */
describe('member settings rollout', () => {
  let ctx: TestContext;
  let base: string;
  let mgmt: TestAccount;
  let member: TestAccount;
  let enrollToken: string;
  const running = new Map<string, RunningAgent>();

  const call = async (method: string, path: string, key: string, body?: unknown) => {
    const res = await ctx.request(method, path, { key, body });
    const json = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(json)).toBeLessThan(300);
    return json;
  };

  const startHost = async (hostname: string, token = enrollToken) => {
    const agent = startSimAgent(base, hostname, { enrollToken: token });
    running.set(hostname, agent);
    return agent.ready;
  };

  /** Stops a host's agent and makes it look silent for ten minutes (offline). */
  const takeOffline = async (hostname: string) => {
    const started = await running.get(hostname)?.ready;
    await running.get(hostname)?.stop();
    if (!started) throw new Error(`${hostname} did not start`);
    const longAgo = new Date(Date.now() - 10 * 60_000);
    await ctx.services.db
      .update(assets)
      .set({ agentStatus: 'offline', lastSeenAt: longAgo })
      .where(eq(assets.id, started.assetId));
    await ctx.services.db
      .update(agents)
      .set({ lastHeartbeatAt: longAgo })
      .where(eq(agents.assetId, started.assetId));
    return started;
  };

  interface State {
    revision: number;
    rollout: { status: string; agents: number; applied: number; driftCount: number };
    drift: { assetId: string; appliedRevision: number; online: boolean }[];
  }
  const state = async () =>
    (await call(
      'GET',
      `/v1/multi-account/members/${member.accountId}/settings`,
      mgmt.apiKey,
    )) as unknown as State;
  const save = async (protectionMode: TMemberSettings['clientManagement']['protectionMode']) =>
    (await call(
      'PUT',
      `/v1/multi-account/members/${member.accountId}/settings`,
      mgmt.apiKey,
      settingsWithMode(protectionMode),
    )) as unknown as State;
  const until = async (what: string, probe: () => Promise<boolean>, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > deadline)
        throw new Error(`${what}: not reached in time; last state ${JSON.stringify(await state())}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    ctx = await createTestContext({ workers: true });
    base = await ctx.listen();
    ({ mgmt, member, enrollToken } = await managedMemberWithToken(ctx));
    await Promise.all(['web-1', 'web-2', 'db-1'].map((h) => startHost(h)));
  });
  afterAll(async () => {
    await Promise.all([...running.values()].map((a) => a.stop()));
    await ctx?.close();
  });

  it('rolls a revision out to every agent, and every agent reports it', async () => {
    const saved = await save('businessFirst');
    expect(saved.revision).toBe(1);
    await until('revision 1 on all agents', async () => {
      const s = await state();
      return s.rollout.status === 'converged' && s.rollout.applied === 3;
    });
    const s = await state();
    expect(s.rollout).toMatchObject({ agents: 3, applied: 3, driftCount: 0 });
    expect(s.drift).toEqual([]);
  });

  it('shows an offline agent as drift, and converges once it is back', async () => {
    const db1 = await takeOffline('db-1');

    await save('protectionFirst');
    await until('revision 2 on the online agents', async () => (await state()).rollout.applied === 2);
    const drifting = await state();
    expect(drifting.rollout).toMatchObject({ status: 'in-progress', agents: 3, applied: 2, driftCount: 1 });
    expect(drifting.drift).toEqual([
      expect.objectContaining({ assetId: db1.assetId, appliedRevision: 1, online: false }),
    ]);

    await startHost('db-1');
    await until('db-1 back on revision 2', async () => (await state()).rollout.status === 'converged');
    expect(await state()).toMatchObject({ revision: 2, rollout: { agents: 3, applied: 3 }, drift: [] });
  });

  it('lets a newer revision supersede an unfinished rollout', async () => {
    await save('majorActivities');
    const latest = await save('businessFirst');
    expect(latest.revision).toBe(4);
    const handle = (revision: number) =>
      ctx.services.temporal.workflow.getHandle<() => Promise<MemberSettingsRolloutResult>>(
        memberSettingsWorkflowId(member.accountId, revision),
      );
    for (const revision of [2, 3]) {
      await expect(handle(revision).result()).resolves.toMatchObject({ outcome: 'superseded', revision });
    }
    await until('revision 4 on all agents', async () => (await state()).rollout.status === 'converged');
    const s = await state();
    expect(s).toMatchObject({ revision: 4, rollout: { agents: 3, applied: 3, driftCount: 0 } });
    await expect(handle(4).describe()).resolves.toMatchObject({ status: { name: 'RUNNING' } });
  });

  it('stops the rollout of a member that leaves the managed list at its next pass', async () => {
    // One agent offline keeps revision 5's rollout retrying, so that it plans another pass soon.
    await takeOffline('web-2');
    const saved = await save('protectionFirst');
    expect(saved.revision).toBe(5);
    await until('revision 5 on the online agents', async () => (await state()).rollout.applied === 2);

    const removed = await ctx.request('DELETE', `/v1/multi-account/members/${member.accountId}`, {
      key: mgmt.apiKey,
    });
    expect(removed.status).toBe(204);
    const rollout = ctx.services.temporal.workflow.getHandle<() => Promise<MemberSettingsRolloutResult>>(
      memberSettingsWorkflowId(member.accountId, 5),
    );
    await expect(rollout.result()).resolves.toMatchObject({ outcome: 'unmanaged', revision: 5 });
  }, 120_000);

  it('rolls the directory policy out to the agents of a member as soon as it is managed', async () => {
    await call('PUT', '/v1/multi-account/auto-add', mgmt.apiKey, { enabled: false });
    await call('PUT', '/v1/multi-account/settings-policy', mgmt.apiKey, {
      clientManagement: { protectionMode: 'majorActivities' },
    });
    const created = await call('POST', '/v1/resource-directory/accounts', mgmt.apiKey, { name: 'Newcomer' });
    const newcomer = { accountId: created.id as string, apiKey: created.adminKey as string };
    const token = (await call('POST', '/v1/agent-enrollment-tokens', newcomer.apiKey, { maxUses: 1 }))
      .token as string;
    await startHost('newcomer-1', token);
    await call('POST', '/v1/multi-account/members', mgmt.apiKey, { accountId: newcomer.accountId });
    const stateOf = async () =>
      (await call(
        'GET',
        `/v1/multi-account/members/${newcomer.accountId}/settings`,
        mgmt.apiKey,
      )) as unknown as State & { settings: TMemberSettings };
    await until('the newcomer agent on the policy revision', async () => {
      const s = await stateOf();
      return s.rollout.status === 'converged' && s.rollout.applied === 1;
    });
    const s = await stateOf();
    expect(s).toMatchObject({ revision: 1, rollout: { agents: 1, applied: 1, driftCount: 0 } });
    expect(s.settings.clientManagement.protectionMode).toBe('majorActivities');
  });
});
