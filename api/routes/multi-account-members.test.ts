import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  body,
  createTestContext,
  type Page,
  type TestAccount,
  type TestContext,
} from '../../test/harness.js';
import type { TScoreExplainedResponse } from './multi-account-members.js';

type Item = Record<string, unknown> & { id: string };

/** Cross-account views: an administrator reads a managed member's findings and assets like the member itself. */
describe('multi-account member views', () => {
  let ctx: TestContext;
  let mgmt: TestAccount;
  let admin: TestAccount;
  let member: TestAccount;
  let sibling: TestAccount;
  let outsider: TestAccount;
  let assetIds: string[] = [];

  const get = async <T = Page<Item>>(path: string, key: string) => {
    const res = await ctx.request('GET', path, { key });
    return { status: res.status, body: await body<T>(res) };
  };
  const post = async (path: string, key: string, payload: unknown) => {
    const res = await ctx.request('POST', path, { key, body: payload });
    const json = await body<Record<string, unknown>>(res);
    expect(res.status, JSON.stringify(json)).toBeLessThan(300);
    return json;
  };
  const createMember = async (name: string): Promise<TestAccount> => {
    const r = await post('/v1/resource-directory/accounts', mgmt.apiKey, { name });
    return { accountId: r.id as string, apiKey: r.adminKey as string };
  };
  /** Every page of a list, following `nextCursor`. */
  const all = async (path: string, key: string) => {
    const items: Item[] = [];
    const sep = path.includes('?') ? '&' : '?';
    let cursor: string | null = null;
    do {
      const r: { status: number; body: Page<Item> } = await get(
        `${path}${sep}limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        key,
      );
      expect(r.status).toBe(200);
      items.push(...r.body.items);
      cursor = r.body.nextCursor;
    } while (cursor);
    return items;
  };

  beforeAll(async () => {
    ctx = await createTestContext();
    mgmt = await ctx.createAccount('Management');
    await post('/v1/resource-directory', mgmt.apiKey, { name: 'Views directory' });
    admin = await createMember('Delegated administrator');
    member = await createMember('Member with findings');
    sibling = await createMember('Sibling');
    outsider = await ctx.createAccount('Outside the directory');
    await post('/v1/multi-account/delegated-admins', mgmt.apiKey, { accountId: admin.accountId });
    await post('/v1/multi-account/members', mgmt.apiKey, {
      accountIds: [member.accountId, sibling.accountId],
    });
    const assets = await post('/v1/assets', member.apiKey, {
      assets: ['web-1', 'web-2', 'db-1'].map((n) => ({ name: n, hostname: n, osFamily: 'linux' })),
    });
    assetIds = assets.ids as string[];
    const [web1, web2, db1] = assetIds;
    const now = new Date().toISOString();
    await post('/v1/alerts', member.apiKey, {
      items: [
        { externalId: 'a1', assetId: web1, name: 'webshell', severity: 'critical', occurredAt: now },
        { externalId: 'a2', assetId: web2, name: 'brute force', severity: 'high', occurredAt: now },
        { externalId: 'a3', assetId: db1, name: 'odd login', severity: 'low', occurredAt: now },
      ],
    });
    await post('/v1/vulnerabilities', member.apiKey, {
      items: [
        { assetId: web1, type: 'linux', name: 'USN-1', title: 'openssh', severity: 'high' },
        { assetId: web1, type: 'webcms', name: 'WP-1', title: 'wordpress', severity: 'medium' },
        { assetId: db1, type: 'linux', name: 'USN-2', title: 'openssl', severity: 'critical' },
      ],
    });
    await post('/v1/baseline-risks', member.apiKey, {
      items: [{ assetId: db1, checkName: 'root login over ssh', severity: 'medium' }],
    });
    await post('/v1/alerts', sibling.apiKey, {
      items: [{ externalId: 's1', name: 'sibling alert', severity: 'low', occurredAt: now }],
    });
  });
  afterAll(() => ctx?.close());

  it("lets a delegated administrator list a member's findings exactly as the member's own lists", async () => {
    for (const [own, cross] of [
      ['/v1/alerts', 'alerts'],
      ['/v1/vulnerabilities', 'vulnerabilities'],
      ['/v1/baseline-risks', 'baseline-risks'],
      ['/v1/assets', 'assets'],
    ] as const) {
      const mine = await all(own, member.apiKey);
      const theirs = await all(`/v1/multi-account/members/${member.accountId}/${cross}`, admin.apiKey);
      expect(theirs.length, cross).toBeGreaterThan(0);
      expect(theirs, cross).toEqual(mine);
    }
  });

  it('applies the same filters as the member’s own lists', async () => {
    const filters = [
      ['/v1/alerts', 'alerts', 'severity=critical'],
      ['/v1/alerts', 'alerts', `assetId=${assetIds[1]}`],
      ['/v1/vulnerabilities', 'vulnerabilities', 'type=linux'],
      ['/v1/vulnerabilities', 'vulnerabilities', 'severity=medium&status=open'],
      ['/v1/baseline-risks', 'baseline-risks', 'severity=medium'],
      ['/v1/assets', 'assets', 'search=web'],
    ] as const;
    for (const [own, cross, query] of filters) {
      const mine = await all(`${own}?${query}`, member.apiKey);
      const theirs = await all(
        `/v1/multi-account/members/${member.accountId}/${cross}?${query}`,
        mgmt.apiKey,
      );
      expect(theirs, `${cross}?${query}`).toEqual(mine);
    }
    expect(
      (await all(`/v1/multi-account/members/${member.accountId}/alerts?severity=critical`, admin.apiKey)).map(
        (a) => a.name,
      ),
    ).toEqual(['webshell']);
    const bad = await get(
      `/v1/multi-account/members/${member.accountId}/alerts?severity=urgent`,
      admin.apiKey,
    );
    expect(bad.status).toBe(400);
  });

  it('answers 404 for an account outside the directory, an unmanaged one, and to anyone not administering', async () => {
    const unmanaged = await createMember('Unmanaged');
    for (const noun of ['alerts', 'vulnerabilities', 'baseline-risks', 'assets', 'score']) {
      for (const id of [outsider.accountId, unmanaged.accountId]) {
        expect((await get(`/v1/multi-account/members/${id}/${noun}`, mgmt.apiKey)).status, noun).toBe(404);
      }
      // A member's own admin cannot read its sibling; an outsider cannot read anyone.
      for (const key of [sibling.apiKey, outsider.apiKey]) {
        expect((await get(`/v1/multi-account/members/${member.accountId}/${noun}`, key)).status, noun).toBe(
          404,
        );
      }
    }
  });

  it('explains the score: the points each category, severity and finding cost', async () => {
    const r = await get<TScoreExplainedResponse>(
      `/v1/multi-account/members/${member.accountId}/score`,
      admin.apiKey,
    );
    expect(r.status).toBe(200);
    const risks = await get<{ score: number }>(
      `/v1/multi-account/members/${member.accountId}/risks`,
      admin.apiKey,
    );
    expect(r.body.score).toBe(risks.body.score);
    expect(Math.round(100 - r.body.pointsLost)).toBe(r.body.score);
    const alerts = r.body.categories.find((c) => c.category === 'alerts');
    expect(alerts?.bySeverity).toMatchObject({
      critical: { count: 1 },
      high: { count: 1 },
      low: { count: 1 },
    });
    // Seven findings, costliest first: the critical alert leads; the sibling's alert is not among them.
    expect(r.body.costliestFindings).toHaveLength(7);
    expect(r.body.costliestFindings[0]).toMatchObject({
      category: 'alerts',
      title: 'webshell',
      severity: 'critical',
    });
    const points = r.body.costliestFindings.map((f) => f.points);
    expect(points).toEqual([...points].sort((a, b) => b - a));
    expect(r.body.costliestFindings.map((f) => f.title)).not.toContain('sibling alert');
    const total = r.body.costliestFindings.reduce((s, f) => s + f.points, 0);
    expect(total).toBeCloseTo(r.body.pointsLost, 1);
    const overview = await get<{ items: { accountId: string; pointsLost: Record<string, number> }[] }>(
      '/v1/multi-account/overview',
      admin.apiKey,
    );
    expect(overview.body.items.find((i) => i.accountId === member.accountId)?.pointsLost).toEqual({
      alerts: alerts?.points,
      vulnerabilities: r.body.categories.find((c) => c.category === 'vulnerabilities')?.points,
      baselineRisks: r.body.categories.find((c) => c.category === 'baselineRisks')?.points,
    });
  });
});
