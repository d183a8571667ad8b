import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberSettingsRevisions } from '../../db/schema/multi-account.js';
import { createDirectoryMember } from '../../test/contract.js';
import { createTestContext, type TestContext } from '../../test/harness.js';
import { MAX_DELEGATED_ADMINS } from '../../domain/multi-account/directory.js';
import { DEFAULT_MEMBER_SETTINGS, settingsWithMode } from '../../domain/multi-account/member-settings.js';

/** Resource directory, delegated administrators, managed members, tenancy and audit — without workers. */
describe('multi-account control', () => {
  let ctx: TestContext;
  let mgmt: { accountId: string; apiKey: string };

  const call = async (method: string, path: string, key: string, body?: unknown) => {
    const res = await ctx.request(method, path, { key, body });
    const text = await res.text();
    return {
      status: res.status,
      body: (text ? JSON.parse(text) : null) as Record<string, unknown> & {
        items?: Record<string, unknown>[];
      },
    };
  };
  const createMember = (name: string) => createDirectoryMember(ctx, mgmt, name);

  beforeAll(async () => {
    ctx = await createTestContext();
    mgmt = await ctx.createAccount('Management');
  });
  afterAll(() => ctx?.close());

  it('documents every multi-account endpoint in the OpenAPI document', async () => {
    const res = await ctx.request('GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, unknown> };
    for (const path of [
      '/v1/resource-directory/accounts',
      '/v1/resource-directory/accounts/{id}',
      '/v1/resource-directory/leave',
      '/v1/resource-directory/invitations/{id}/accept',
      '/v1/resource-directory/invitations/{id}/cancel',
      '/v1/multi-account/delegated-admins',
      '/v1/multi-account/members/{id}/settings',
      '/v1/multi-account/overview',
    ]) {
      expect(doc.paths).toHaveProperty([path]);
    }
  });

  it('enables a directory; the caller becomes the management account, once', async () => {
    const r = await call('POST', '/v1/resource-directory', mgmt.apiKey, { name: 'Acme' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'Acme', managementAccountId: mgmt.accountId, role: 'management' });
    expect((await call('POST', '/v1/resource-directory', mgmt.apiKey, { name: 'again' })).status).toBe(409);
    expect((await call('GET', '/v1/resource-directory', mgmt.apiKey)).body.role).toBe('management');
  });

  it('creates member accounts whose own key works, and lists accounts with their roles', async () => {
    const m = await createMember('Member one');
    expect(m.apiKey).toMatch(/^vgl_/);
    const own = await call('GET', '/v1/resource-directory', m.apiKey);
    expect(own.body).toMatchObject({ role: 'member', managementAccountId: mgmt.accountId });
    const list = await call('GET', '/v1/resource-directory/accounts', mgmt.apiKey);
    const roles = Object.fromEntries((list.body.items ?? []).map((a) => [a.id, a.role]));
    expect(roles).toEqual({ [mgmt.accountId]: 'management', [m.accountId]: 'member' });
    // A member of the directory cannot see the account list.
    expect((await call('GET', '/v1/resource-directory/accounts', m.apiKey)).status).toBe(404);
  });

  it('invites existing accounts, which accept or decline with their own key', async () => {
    const yes = await ctx.createAccount('Invitee yes');
    const no = await ctx.createAccount('Invitee no');
    const invYes = await call('POST', '/v1/resource-directory/invitations', mgmt.apiKey, {
      accountId: yes.accountId,
    });
    const invNo = await call('POST', '/v1/resource-directory/invitations', mgmt.apiKey, {
      accountId: no.accountId,
    });
    expect(invYes.status).toBe(201);
    expect(
      (await call('POST', '/v1/resource-directory/invitations', mgmt.apiKey, { accountId: yes.accountId }))
        .status,
    ).toBe(409);
    const seen = await call('GET', '/v1/resource-directory/invitations', yes.apiKey);
    expect(seen.body.items).toEqual([
      expect.objectContaining({ id: invYes.body.id, direction: 'received', status: 'pending' }),
    ]);
    // Only the invitee answers; someone else's invitation is a 404.
    expect(
      (await call('POST', `/v1/resource-directory/invitations/${String(invYes.body.id)}/accept`, no.apiKey))
        .status,
    ).toBe(404);
    const accepted = await call(
      'POST',
      `/v1/resource-directory/invitations/${String(invYes.body.id)}/accept`,
      yes.apiKey,
    );
    expect(accepted.body).toMatchObject({ status: 'accepted' });
    const declined = await call(
      'POST',
      `/v1/resource-directory/invitations/${String(invNo.body.id)}/decline`,
      no.apiKey,
    );
    expect(declined.body).toMatchObject({ status: 'declined' });
    expect((await call('GET', '/v1/resource-directory', yes.apiKey)).body.role).toBe('member');
    expect((await call('GET', '/v1/resource-directory', no.apiKey)).status).toBe(404);
    // An account belongs to at most one directory.
    expect((await call('POST', '/v1/resource-directory', yes.apiKey, { name: 'mine' })).status).toBe(409);
    const other = await ctx.createAccount('Other management');
    await call('POST', '/v1/resource-directory', other.apiKey, { name: 'Other' });
    expect(
      (await call('POST', '/v1/resource-directory/invitations', other.apiKey, { accountId: yes.accountId }))
        .status,
    ).toBe(409);
  });

  it(`caps delegated administrators at ${MAX_DELEGATED_ADMINS}; the next one is a 422 naming the limit`, async () => {
    const admins = [];
    for (let i = 0; i < MAX_DELEGATED_ADMINS + 1; i++) admins.push(await createMember(`Admin ${i}`));
    for (const a of admins.slice(0, MAX_DELEGATED_ADMINS)) {
      expect(
        (await call('POST', '/v1/multi-account/delegated-admins', mgmt.apiKey, { accountId: a.accountId }))
          .status,
      ).toBe(201);
    }
    const sixth = admins[MAX_DELEGATED_ADMINS];
    const over = await call('POST', '/v1/multi-account/delegated-admins', mgmt.apiKey, {
      accountId: sixth?.accountId,
    });
    expect(over.status).toBe(422);
    expect(JSON.stringify(over.body)).toContain(`at most ${MAX_DELEGATED_ADMINS} delegated administrators`);
    // Only the management account designates; a delegated administrator gets a 404.
    expect((await call('GET', '/v1/multi-account/delegated-admins', admins[0]?.apiKey ?? '')).status).toBe(
      404,
    );
    for (const a of admins.slice(1, MAX_DELEGATED_ADMINS)) {
      expect(
        (await call('DELETE', `/v1/multi-account/delegated-admins/${a.accountId}`, mgmt.apiKey)).status,
      ).toBe(204);
    }
  });

  it('lets a delegated administrator manage members; removal cuts its access on the very next request', async () => {
    const admin = await createMember('Delegated');
    const member = await createMember('Managed');
    const outsider = await ctx.createAccount('Outsider');
    const plain = await createMember('Plain member');
    expect(
      (await call('POST', '/v1/multi-account/delegated-admins', mgmt.apiKey, { accountId: admin.accountId }))
        .status,
    ).toBe(201);
    const added = await call('POST', '/v1/multi-account/members', admin.apiKey, {
      accountId: member.accountId,
    });
    expect(added.body).toEqual({ added: [member.accountId], alreadyManaged: [] });
    expect(
      (await call('GET', `/v1/multi-account/members/${member.accountId}/risks`, admin.apiKey)).status,
    ).toBe(200);
    // Anyone else: 404 on every endpoint, and a member cannot manage others.
    for (const key of [outsider.apiKey, plain.apiKey, member.apiKey]) {
      expect((await call('GET', '/v1/multi-account/members', key)).status).toBe(404);
      expect(
        (await call('POST', '/v1/multi-account/members', key, { accountId: plain.accountId })).status,
      ).toBe(404);
      expect((await call('GET', `/v1/multi-account/members/${member.accountId}/risks`, key)).status).toBe(
        404,
      );
      expect((await call('GET', `/v1/multi-account/members/${member.accountId}/settings`, key)).status).toBe(
        404,
      );
      expect((await call('GET', '/v1/multi-account/overview', key)).status).toBe(404);
    }
    // A directory account that is not managed is a 404 even for an administrator.
    expect(
      (await call('GET', `/v1/multi-account/members/${plain.accountId}/risks`, admin.apiKey)).status,
    ).toBe(404);
    expect(
      (await call('DELETE', `/v1/multi-account/delegated-admins/${admin.accountId}`, mgmt.apiKey)).status,
    ).toBe(204);
    expect(
      (await call('GET', `/v1/multi-account/members/${member.accountId}/risks`, admin.apiKey)).status,
    ).toBe(404);
    expect((await call('GET', '/v1/multi-account/members', admin.apiKey)).status).toBe(404);
    expect(
      (await call('GET', `/v1/multi-account/members/${member.accountId}/risks`, mgmt.apiKey)).status,
    ).toBe(200);
    // The management account cannot be managed.
    expect(
      (await call('POST', '/v1/multi-account/members', mgmt.apiKey, { accountId: mgmt.accountId })).status,
    ).toBe(422);
  });

  it('adds newly created and newly joined accounts to the managed list when auto-add is on', async () => {
    const before = await createMember('Before auto-add');
    expect(before.managed).toBe(false);
    expect((await call('PUT', '/v1/multi-account/auto-add', mgmt.apiKey, { enabled: true })).body).toEqual({
      enabled: true,
    });
    const after = await createMember('After auto-add');
    expect(after.managed).toBe(true);
    const invited = await ctx.createAccount('Invited after auto-add');
    const inv = await call('POST', '/v1/resource-directory/invitations', mgmt.apiKey, {
      accountId: invited.accountId,
    });
    await call('POST', `/v1/resource-directory/invitations/${String(inv.body.id)}/accept`, invited.apiKey);
    const managed = await call('GET', '/v1/multi-account/members?limit=500', mgmt.apiKey);
    const ids = (managed.body.items ?? []).map((m) => m.id);
    expect(ids).toContain(after.accountId);
    expect(ids).toContain(invited.accountId);
    expect(ids).not.toContain(before.accountId);
    await call('PUT', '/v1/multi-account/auto-add', mgmt.apiKey, { enabled: false });
    expect((await createMember('After switch-off')).managed).toBe(false);
    expect((await call('DELETE', `/v1/multi-account/members/${after.accountId}`, mgmt.apiKey)).status).toBe(
      204,
    );
    expect(
      (await call('GET', `/v1/multi-account/members/${after.accountId}/risks`, mgmt.apiKey)).status,
    ).toBe(404);
  });

  it('saves validated settings revisions, audited in the administrator and member logs', async () => {
    const member = await createMember('Settings member');
    await call('POST', '/v1/multi-account/members', mgmt.apiKey, { accountId: member.accountId });
    const bad = await call('PUT', `/v1/multi-account/members/${member.accountId}/settings`, mgmt.apiKey, {
      ...SETTINGS,
      vulnerabilityManagement: { ...SETTINGS.vulnerabilityManagement, scanCycleDays: 2 },
    });
    expect(bad.status).toBe(400);
    const foreignAsset = await call(
      'PUT',
      `/v1/multi-account/members/${member.accountId}/settings`,
      mgmt.apiKey,
      {
        ...SETTINGS,
        baselinePolicies: [
          {
            ...SETTINGS.baselinePolicies[0],
            assets: { mode: 'selected', assetIds: ['0190a000-0000-7000-8000-000000000000'] },
          },
        ],
      },
    );
    expect(foreignAsset.status).toBe(422);
    const saved = await call(
      'PUT',
      `/v1/multi-account/members/${member.accountId}/settings`,
      mgmt.apiKey,
      SETTINGS,
    );
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toMatchObject({
      revision: 1,
      settings: SETTINGS,
      rollout: { status: 'converged', agents: 0 },
    });
    const mine = await call('GET', '/v1/audit-log?action=multi_account.member_settings.save', mgmt.apiKey);
    const theirs = await call(
      'GET',
      '/v1/audit-log?action=multi_account.member_settings.save',
      member.apiKey,
    );
    const adminKeyId = mine.body.items?.[0]?.actor;
    expect(adminKeyId).toMatch(/^key:/);
    expect(mine.body.items?.[0]).toMatchObject({ actorAccountId: null, targetId: `${member.accountId}:1` });
    expect(theirs.body.items?.[0]).toMatchObject({
      actor: adminKeyId,
      actorAccountId: mgmt.accountId,
      targetId: `${member.accountId}:1`,
    });
  });

  it('shows risks with the score and an overview sorted by score, paginated', async () => {
    const calm = await createMember('Calm');
    const noisy = await createMember('Noisy');
    await call('POST', '/v1/multi-account/members', mgmt.apiKey, {
      accountIds: [calm.accountId, noisy.accountId],
    });
    const asset = await call('POST', '/v1/assets', noisy.apiKey, {
      assets: [{ name: 'web-1', hostname: 'web-1', osFamily: 'linux' }],
    });
    const assetId = (asset.body.ids as string[])[0];
    const now = new Date().toISOString();
    await call('POST', '/v1/alerts', noisy.apiKey, {
      items: [
        { externalId: 'a1', assetId, name: 'webshell', severity: 'critical', occurredAt: now },
        { externalId: 'a2', assetId, name: 'login', severity: 'high', occurredAt: now },
      ],
    });
    await call('POST', '/v1/vulnerabilities', noisy.apiKey, {
      items: [
        { assetId, type: 'linux', name: 'USN-1', title: 'openssh', severity: 'high' },
        { assetId, type: 'webcms', name: 'WP-1', title: 'wordpress', severity: 'medium' },
      ],
    });
    await call('POST', '/v1/baseline-risks', noisy.apiKey, {
      items: [{ assetId, checkName: 'root login', severity: 'medium' }],
    });
    const risks = await call('GET', `/v1/multi-account/members/${noisy.accountId}/risks`, mgmt.apiKey);
    expect(risks.body).toMatchObject({
      unhandledAlerts: 2,
      openVulnerabilities: 2,
      baselineRisks: 1,
      alertsBySeverity: { critical: 1, high: 1, medium: 0, low: 0 },
      vulnerabilitiesByType: { linux: { high: 1 }, webcms: { medium: 1 } },
    });
    // alerts 15 → 16.2151, vulnerabilities 7 → 35·(1−2^(−0.07)) = 1.6570, baseline 2 → 0.8514: 81.28 → 81
    expect(risks.body.score).toBe(81);
    const first = await call('GET', '/v1/multi-account/overview?limit=1', mgmt.apiKey);
    expect(first.body.items?.[0]).toMatchObject({ accountId: noisy.accountId, score: 81 });
    const pages = [first.body.items ?? []];
    for (let cursor = first.body.nextCursor; typeof cursor === 'string';) {
      const next = await call('GET', `/v1/multi-account/overview?limit=1&cursor=${cursor}`, mgmt.apiKey);
      pages.push(next.body.items ?? []);
      cursor = next.body.nextCursor;
    }
    const all = pages.flat();
    const managed = await call('GET', '/v1/multi-account/members?limit=500', mgmt.apiKey);
    expect(all.map((r) => r.accountId).sort()).toEqual((managed.body.items ?? []).map((m) => m.id).sort());
    const scores = all.map((r) => r.score as number);
    expect(scores).toEqual([...scores].sort((a, b) => a - b));
  });

  const auditOf = async (key: string, action: string) =>
    ((await call('GET', `/v1/audit-log?action=${action}`, key)).body.items ?? []) as Record<
      string,
      unknown
    >[];

  it('lets a member leave: its delegated administration and managed-list place go, audited in both logs', async () => {
    const leaver = await createMember('Leaver');
    await call('POST', '/v1/multi-account/members', mgmt.apiKey, { accountId: leaver.accountId });
    expect(
      (await call('POST', '/v1/multi-account/delegated-admins', mgmt.apiKey, { accountId: leaver.accountId }))
        .status,
    ).toBe(201);
    expect((await call('GET', '/v1/multi-account/members', leaver.apiKey)).status).toBe(200);

    expect((await call('POST', '/v1/resource-directory/leave', leaver.apiKey)).status).toBe(204);
    expect((await call('GET', '/v1/resource-directory', leaver.apiKey)).status).toBe(404);
    expect((await call('GET', '/v1/multi-account/members', leaver.apiKey)).status).toBe(404);
    const admins = await call('GET', '/v1/multi-account/delegated-admins', mgmt.apiKey);
    expect((admins.body.items ?? []).map((a) => a.accountId)).not.toContain(leaver.accountId);
    const managed = await call('GET', '/v1/multi-account/members?limit=500', mgmt.apiKey);
    expect((managed.body.items ?? []).map((m) => m.id)).not.toContain(leaver.accountId);
    const accounts = await call('GET', '/v1/resource-directory/accounts?limit=500', mgmt.apiKey);
    expect((accounts.body.items ?? []).map((a) => a.id)).not.toContain(leaver.accountId);
    expect(
      (await call('GET', `/v1/multi-account/members/${leaver.accountId}/risks`, mgmt.apiKey)).status,
    ).toBe(404);
    // Leaving twice: no longer in a directory.
    expect((await call('POST', '/v1/resource-directory/leave', leaver.apiKey)).status).toBe(404);

    const [own] = await auditOf(leaver.apiKey, 'resource_directory.leave');
    expect(own).toMatchObject({ targetId: leaver.accountId, actorAccountId: null });
    expect(own?.before).toMatchObject({ managed: true, joinedVia: 'created' });
    expect(own?.before).toHaveProperty('delegatedAdminSince', expect.any(String));
    const [theirs] = await auditOf(mgmt.apiKey, 'resource_directory.leave');
    expect(theirs).toMatchObject({ targetId: leaver.accountId, actorAccountId: leaver.accountId });

    // Free again: it can enable a directory of its own.
    expect((await call('POST', '/v1/resource-directory', leaver.apiKey, { name: 'Own' })).status).toBe(201);
  });

  it('lets the management account remove an account, not itself; others get 404s', async () => {
    const removed = await createMember('Removed');
    const admin = await createMember('Remover admin');
    await call('POST', '/v1/multi-account/members', mgmt.apiKey, { accountId: removed.accountId });
    await call('POST', '/v1/multi-account/delegated-admins', mgmt.apiKey, { accountId: admin.accountId });
    const viewer = await call('POST', '/v1/api-keys', mgmt.apiKey, { name: 'viewer', role: 'viewer' });

    const remove = (key: string, id: string) => call('DELETE', `/v1/resource-directory/accounts/${id}`, key);
    expect((await remove(mgmt.apiKey, 'not-a-uuid')).status).toBe(400);
    expect((await remove(viewer.body.key as string, removed.accountId)).status).toBe(403);
    // A delegated administrator does not remove accounts; the member itself neither.
    expect((await remove(admin.apiKey, removed.accountId)).status).toBe(404);
    expect((await remove(removed.apiKey, removed.accountId)).status).toBe(404);
    const self = await remove(mgmt.apiKey, mgmt.accountId);
    expect(self.status).toBe(422);
    expect(JSON.stringify(self.body)).toContain('management account cannot be removed');

    expect((await remove(mgmt.apiKey, removed.accountId)).status).toBe(204);
    expect((await remove(mgmt.apiKey, removed.accountId)).status).toBe(404);
    expect((await call('GET', '/v1/resource-directory', removed.apiKey)).status).toBe(404);
    expect(
      (await call('GET', `/v1/multi-account/members/${removed.accountId}/settings`, mgmt.apiKey)).status,
    ).toBe(404);
    const [mine] = await auditOf(mgmt.apiKey, 'resource_directory.account.remove');
    expect(mine).toMatchObject({ targetId: removed.accountId, actorAccountId: null });
    const [theirs] = await auditOf(removed.apiKey, 'resource_directory.account.remove');
    expect(theirs).toMatchObject({ targetId: removed.accountId, actorAccountId: mgmt.accountId });
    expect(theirs?.actor).toBe(mine?.actor);
  });

  it('keeps the management account in its directory while other accounts are in it (409), then closes it', async () => {
    const owner = await ctx.createAccount('Small directory');
    await call('POST', '/v1/resource-directory', owner.apiKey, { name: 'Small' });
    const created = await call('POST', '/v1/resource-directory/accounts', owner.apiKey, {
      name: 'Only member',
    });
    const invitee = await ctx.createAccount('Pending invitee');
    const inv = await call('POST', '/v1/resource-directory/invitations', owner.apiKey, {
      accountId: invitee.accountId,
    });
    const blocked = await call('POST', '/v1/resource-directory/leave', owner.apiKey);
    expect(blocked.status).toBe(409);
    expect(blocked.body).toMatchObject({ error: { code: 'conflict', details: { accounts: 1 } } });
    expect(
      (await call('DELETE', `/v1/resource-directory/accounts/${String(created.body.id)}`, owner.apiKey))
        .status,
    ).toBe(204);
    expect((await call('POST', '/v1/resource-directory/leave', owner.apiKey)).status).toBe(204);
    expect((await call('GET', '/v1/resource-directory', owner.apiKey)).status).toBe(404);
    // The closed directory's pending invitation is gone with it.
    expect(
      (await call('POST', `/v1/resource-directory/invitations/${String(inv.body.id)}/accept`, invitee.apiKey))
        .status,
    ).toBe(404);
    const [audit] = await auditOf(owner.apiKey, 'resource_directory.leave');
    expect(audit?.after).toEqual({ directoryClosed: true });
  });

  it('cancels a pending invitation (management account only); accepting it afterwards is refused', async () => {
    const invitee = await ctx.createAccount('Cancelled invitee');
    const inv = await call('POST', '/v1/resource-directory/invitations', mgmt.apiKey, {
      accountId: invitee.accountId,
    });
    const id = String(inv.body.id);
    const cancel = (key: string, invitationId = id) =>
      call('POST', `/v1/resource-directory/invitations/${invitationId}/cancel`, key);
    // Only the inviting directory's management account: the invitee and another directory get 404s.
    expect((await cancel(invitee.apiKey)).status).toBe(404);
    const other = await ctx.createAccount('Other directory');
    await call('POST', '/v1/resource-directory', other.apiKey, { name: 'Other one' });
    expect((await cancel(other.apiKey)).status).toBe(404);
    expect((await cancel(mgmt.apiKey, 'nope')).status).toBe(400);

    const cancelled = await cancel(mgmt.apiKey);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id, status: 'cancelled', direction: 'sent' });
    expect(cancelled.body.respondedAt).toEqual(expect.any(String));
    expect((await cancel(mgmt.apiKey)).status).toBe(409);
    const accept = await call('POST', `/v1/resource-directory/invitations/${id}/accept`, invitee.apiKey);
    expect(accept.status).toBe(409);
    expect(JSON.stringify(accept.body)).toContain('already cancelled');
    expect((await call('GET', '/v1/resource-directory', invitee.apiKey)).status).toBe(404);
    const seen = await call('GET', '/v1/resource-directory/invitations', invitee.apiKey);
    expect(seen.body.items?.[0]).toMatchObject({ id, status: 'cancelled', direction: 'received' });
    const [mine] = await auditOf(mgmt.apiKey, 'resource_directory.invitation.cancel');
    expect(mine).toMatchObject({
      targetId: id,
      before: { status: 'pending' },
      after: { status: 'cancelled' },
    });
    const [theirs] = await auditOf(invitee.apiKey, 'resource_directory.invitation.cancel');
    expect(theirs).toMatchObject({ targetId: id, actorAccountId: mgmt.accountId });
    // A new invitation can follow the cancelled one.
    expect(
      (
        await call('POST', '/v1/resource-directory/invitations', mgmt.apiKey, {
          accountId: invitee.accountId,
        })
      ).status,
    ).toBe(201);
  });

  it('reads settings revisions saved under an older schema, filling the fields they predate', async () => {
    const member = await createMember('Old settings');
    await call('POST', '/v1/multi-account/members', mgmt.apiKey, { accountId: member.accountId });
    const { clientEngine: _absent, ...olderClient } = SETTINGS.clientManagement;
    await ctx.services.db.insert(memberSettingsRevisions).values({
      accountId: member.accountId,
      revision: 1,
      settings: {
        clientManagement: { ...olderClient, removedSwitch: true },
        vulnerabilityManagement: {
          autoScan: { linux: false, windows: true, webcms: true, app: true },
          scanCycleDays: 30,
          scannedAssets: { mode: 'all' },
        },
        baselinePolicies: [{ name: 'old', checkItems: ['x'], cycleDays: 3 }],
      },
      actor: 'key:old',
      actorAccountId: mgmt.accountId,
      rolloutStartedAt: new Date(),
    });
    const read = await call('GET', `/v1/multi-account/members/${member.accountId}/settings`, mgmt.apiKey);
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(read.body).toMatchObject({
      revision: 1,
      settings: {
        clientManagement: {
          ...olderClient,
          clientEngine: DEFAULT_MEMBER_SETTINGS.clientManagement.clientEngine,
        },
        vulnerabilityManagement: {
          autoScan: {
            linux: false,
            emergency: DEFAULT_MEMBER_SETTINGS.vulnerabilityManagement.autoScan.emergency,
          },
          scanCycleDays: 30,
          deleteAfterDays: DEFAULT_MEMBER_SETTINGS.vulnerabilityManagement.deleteAfterDays,
        },
        baselinePolicies: [
          { name: 'old', checkItems: ['x'], cycleDays: 3, startHour: 0, assets: { mode: 'all' } },
        ],
      },
    });
    expect(JSON.stringify(read.body)).not.toContain('removedSwitch');
  });
});

const SETTINGS = {
  ...settingsWithMode('protectionFirst'),
  baselinePolicies: [
    {
      name: 'CIS Linux',
      checkItems: ['ssh-root-login', 'password-max-days'],
      cycleDays: 1,
      startHour: 2,
      assets: { mode: 'all' as const },
    },
  ],
};
