import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MEMBER_SETTINGS } from '../../domain/multi-account/member-settings.js';
import { memberSettingsWorkflowId } from '../../domain/multi-account/rollout.js';
import { createDirectoryMember } from '../../test/contract.js';
import { createTestContext, type TestAccount, type TestContext } from '../../test/harness.js';
import type { TEffectiveSettingsResponse, TSettingsPolicyResponse } from './multi-account-policy.js';

/** Organisation policies: the directory default, member overrides, exclusions, and the effective view. */
describe('multi-account settings policy', () => {
  let ctx: TestContext;
  let mgmt: TestAccount;
  let admin: TestAccount;

  const call = async <T = Record<string, unknown>>(
    method: string,
    path: string,
    key: string,
    body?: unknown,
  ) => {
    const res = await ctx.request(method, path, { key, body });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };
  const createMember = (name: string) => createDirectoryMember(ctx, mgmt, name);
  const settingsOf = async (memberId: string) => {
    const r = await call<{ revision: number | null; settings: typeof DEFAULT_MEMBER_SETTINGS | null }>(
      'GET',
      `/v1/multi-account/members/${memberId}/settings`,
      mgmt.apiKey,
    );
    expect(r.status).toBe(200);
    return r.body;
  };
  const effectiveOf = async (memberId: string, key = mgmt.apiKey) =>
    call<TEffectiveSettingsResponse>('GET', `/v1/multi-account/members/${memberId}/settings/effective`, key);
  const auditOf = async (key: string, action: string) =>
    (await call<{ items: Record<string, unknown>[] }>('GET', `/v1/audit-log?action=${action}`, key)).body
      .items;

  const POLICY = {
    clientManagement: { protectionMode: 'protectionFirst' },
    vulnerabilityManagement: { scanCycleDays: 1 },
  };

  beforeAll(async () => {
    ctx = await createTestContext();
    mgmt = await ctx.createAccount('Management');
    await call('POST', '/v1/resource-directory', mgmt.apiKey, { name: 'Policy directory' });
    admin = await createMember('Delegated administrator');
    await call('POST', '/v1/multi-account/delegated-admins', mgmt.apiKey, { accountId: admin.accountId });
  });
  afterAll(() => ctx?.close());

  it('has no policy until one is set; a delegated administrator sets it, audited in both logs', async () => {
    const none = await call<TSettingsPolicyResponse>('GET', '/v1/multi-account/settings-policy', mgmt.apiKey);
    expect(none.body).toMatchObject({ revision: null, settings: {} });
    const set = await call<TSettingsPolicyResponse & { membersChanged: number }>(
      'PUT',
      '/v1/multi-account/settings-policy',
      admin.apiKey,
      POLICY,
    );
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body).toMatchObject({ revision: 1, settings: POLICY, membersChanged: 0 });
    const read = await call<TSettingsPolicyResponse>('GET', '/v1/multi-account/settings-policy', mgmt.apiKey);
    expect(read.body).toMatchObject({
      revision: 1,
      settings: POLICY,
      updatedBy: { accountId: admin.accountId },
    });
    const [theirs] = await auditOf(mgmt.apiKey, 'multi_account.settings_policy.set');
    expect(theirs).toMatchObject({
      actorAccountId: admin.accountId,
      after: { revision: 1, settings: POLICY },
    });
    const [own] = await auditOf(admin.apiKey, 'multi_account.settings_policy.set');
    expect(own).toMatchObject({ actorAccountId: null, before: null });
  });

  it('refuses a policy that selects assets or has unknown fields, changing nothing', async () => {
    const selected = await call('PUT', '/v1/multi-account/settings-policy', mgmt.apiKey, {
      vulnerabilityManagement: {
        scannedAssets: { mode: 'selected', assetIds: ['0190a000-0000-7000-8000-000000000000'] },
      },
    });
    expect(selected.status).toBe(422);
    expect(JSON.stringify(selected.body)).toContain('vulnerabilityManagement.scannedAssets');
    const unknown = await call('PUT', '/v1/multi-account/settings-policy', mgmt.apiKey, {
      clientManagement: { noSuchSwitch: true },
    });
    expect(unknown.status).toBe(400);
    const read = await call<TSettingsPolicyResponse>('GET', '/v1/multi-account/settings-policy', mgmt.apiKey);
    expect(read.body.revision).toBe(1);
  });

  it('gives an auto-added member the directory policy at once, with its rollout started', async () => {
    await call('PUT', '/v1/multi-account/auto-add', mgmt.apiKey, { enabled: true });
    const member = await createMember('Auto-added');
    expect(member.managed).toBe(true);
    const state = await settingsOf(member.accountId);
    expect(state.revision).toBe(1);
    expect(state.settings?.clientManagement.protectionMode).toBe('protectionFirst');
    expect(state.settings?.vulnerabilityManagement.scanCycleDays).toBe(1);
    expect(state.settings?.vulnerabilityManagement.deleteAfterDays).toBe(
      DEFAULT_MEMBER_SETTINGS.vulnerabilityManagement.deleteAfterDays,
    );
    const rollout = ctx.services.temporal.workflow.getHandle(memberSettingsWorkflowId(member.accountId, 1));
    await expect(rollout.describe()).resolves.toMatchObject({ status: { name: 'RUNNING' } });
    // The member's own log shows the revision the administrator's policy gave it.
    const [saved] = await auditOf(member.apiKey, 'multi_account.member_settings.save');
    expect(saved).toMatchObject({ actorAccountId: mgmt.accountId, after: { revision: 1 } });
    // An accepted invitee is auto-added too and inherits at once.
    const invitee = await ctx.createAccount('Invitee');
    const inv = await call('POST', '/v1/resource-directory/invitations', mgmt.apiKey, {
      accountId: invitee.accountId,
    });
    await call('POST', `/v1/resource-directory/invitations/${String(inv.body.id)}/accept`, invitee.apiKey);
    expect((await settingsOf(invitee.accountId)).settings?.clientManagement.protectionMode).toBe(
      'protectionFirst',
    );
    await call('PUT', '/v1/multi-account/auto-add', mgmt.apiKey, { enabled: false });
  });

  it('gives a member added by hand the policy when it joins the managed list', async () => {
    const member = await createMember('Added by hand');
    expect(member.managed).toBe(false);
    await call('POST', '/v1/multi-account/members', admin.apiKey, { accountId: member.accountId });
    const state = await settingsOf(member.accountId);
    expect(state).toMatchObject({ revision: 1 });
    expect(state.settings?.vulnerabilityManagement.scanCycleDays).toBe(1);
  });

  it('lets an override beat the default, and names the source of every field', async () => {
    const member = await createMember('Overridden');
    await call('POST', '/v1/multi-account/members', mgmt.apiKey, { accountId: member.accountId });
    const put = await call<TEffectiveSettingsResponse>(
      'PUT',
      `/v1/multi-account/members/${member.accountId}/settings/overrides`,
      mgmt.apiKey,
      { overrides: { vulnerabilityManagement: { scanCycleDays: 30 } } },
    );
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const e = (await effectiveOf(member.accountId)).body;
    expect(e).toMatchObject({
      excludedFromDirectoryPolicy: false,
      directoryPolicyRevision: 1,
      revision: 2,
      inSync: true,
      overrides: { vulnerabilityManagement: { scanCycleDays: 30 } },
    });
    expect(e.settings.vulnerabilityManagement.scanCycleDays).toBe(30);
    expect(e.settings.clientManagement.protectionMode).toBe('protectionFirst');
    expect(e.sources).toMatchObject({
      'vulnerabilityManagement.scanCycleDays': 'member-override',
      'clientManagement.protectionMode': 'directory-default',
      'vulnerabilityManagement.deleteAfterDays': 'built-in-default',
      baselinePolicies: 'built-in-default',
    });
    expect((await settingsOf(member.accountId)).settings?.vulnerabilityManagement.scanCycleDays).toBe(30);
    const [theirs] = await auditOf(member.apiKey, 'multi_account.member_settings.overrides.set');
    expect(theirs).toMatchObject({
      actorAccountId: mgmt.accountId,
      targetId: member.accountId,
      after: { settings: { vulnerabilityManagement: { scanCycleDays: 30 } } },
    });

    // A new policy reaches the inherited field and leaves the overridden one.
    const changed = await call<{ membersChanged: number }>(
      'PUT',
      '/v1/multi-account/settings-policy',
      mgmt.apiKey,
      {
        clientManagement: { protectionMode: 'majorActivities' },
        vulnerabilityManagement: { scanCycleDays: 3 },
      },
    );
    expect(changed.status).toBe(200);
    const after = (await effectiveOf(member.accountId)).body;
    expect(after).toMatchObject({ revision: 3, directoryPolicyRevision: 2, inSync: true });
    expect(after.settings.clientManagement.protectionMode).toBe('majorActivities');
    expect(after.settings.vulnerabilityManagement.scanCycleDays).toBe(30);
  });

  it('leaves excluded members out of policy changes; they keep their own settings', async () => {
    const member = await createMember('Excluded');
    await call('POST', '/v1/multi-account/members', mgmt.apiKey, { accountId: member.accountId });
    const excluded = await call<TEffectiveSettingsResponse>(
      'PUT',
      `/v1/multi-account/members/${member.accountId}/settings/overrides`,
      mgmt.apiKey,
      {
        overrides: { clientManagement: { protectionMode: 'businessFirst' } },
        excludedFromDirectoryPolicy: true,
      },
    );
    expect(excluded.status).toBe(200);
    expect(excluded.body).toMatchObject({ excludedFromDirectoryPolicy: true, directoryPolicyRevision: null });
    expect(new Set(Object.values(excluded.body.sources))).toEqual(
      new Set(['member-override', 'built-in-default']),
    );
    const before = (await settingsOf(member.accountId)).revision;
    const policy = await call<{ membersChanged: number }>(
      'PUT',
      '/v1/multi-account/settings-policy',
      mgmt.apiKey,
      {
        clientManagement: { protectionMode: 'protectionFirst', alertAggregation: false },
      },
    );
    expect(policy.status).toBe(200);
    expect(policy.body.membersChanged).toBeGreaterThan(0);
    expect((await settingsOf(member.accountId)).revision).toBe(before);
    expect((await effectiveOf(member.accountId)).body.settings.clientManagement.alertAggregation).toBe(
      DEFAULT_MEMBER_SETTINGS.clientManagement.alertAggregation,
    );
  });

  it('answers 404 to a member admin reading a sibling, and to accounts outside the directory', async () => {
    const one = await createMember('Sibling one');
    const two = await createMember('Sibling two');
    await call('POST', '/v1/multi-account/members', mgmt.apiKey, {
      accountIds: [one.accountId, two.accountId],
    });
    const outsider = await ctx.createAccount('Outsider');
    expect((await effectiveOf(two.accountId)).status).toBe(200);
    for (const key of [one.apiKey, outsider.apiKey]) {
      expect((await effectiveOf(two.accountId, key)).status).toBe(404);
      expect((await call('GET', `/v1/multi-account/members/${two.accountId}/settings`, key)).status).toBe(
        404,
      );
      expect(
        (
          await call('PUT', `/v1/multi-account/members/${two.accountId}/settings/overrides`, key, {
            overrides: {},
          })
        ).status,
      ).toBe(404);
      expect((await call('GET', '/v1/multi-account/settings-policy', key)).status).toBe(404);
      expect((await call('PUT', '/v1/multi-account/settings-policy', key, {})).status).toBe(404);
    }
    // An account outside the directory is not a member the management account can read either.
    expect((await effectiveOf(outsider.accountId)).status).toBe(404);
  });
});
