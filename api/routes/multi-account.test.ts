import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../test/harness.js';
import { MAX_DELEGATED_ADMINS } from '../../domain/multi-account/directory.js';
import { settingsWithMode } from '../../domain/multi-account/member-settings.js';

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
  const createMember = async (name: string) => {
    const r = await call('POST', '/v1/resource-directory/accounts', mgmt.apiKey, { name });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return {
      accountId: r.body.id as string,
      apiKey: r.body.adminKey as string,
      managed: r.body.managed as boolean,
    };
  };

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
      '/v1/resource-directory/invitations/{id}/accept',
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
