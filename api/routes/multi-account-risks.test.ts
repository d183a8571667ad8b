import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assets } from '../../db/schema/inventory.js';
import { alerts, baselineRisks, vulnerabilities } from '../../db/schema/findings.js';
import { riskCounts } from '../../db/schema/multi-account.js';
import { SEVERITIES, VULNERABILITY_TYPES } from '../../domain/findings.js';
import { fewestStatements } from '../../test/database.js';
import { createTestContext, type TestContext } from '../../test/harness.js';

/**
 * The overview and the risk view read trigger-maintained counts (`risk_counts`); after every kind of write —
 * ingest, upsert with a new status or severity, PATCH, a Playbook-style SQL update, deleted assets (cascades),
 * direct deletes — they must equal a count over the findings themselves.
 */
describe('multi-account risk counts', () => {
  let ctx: TestContext;
  let mgmtKey: string;
  const members: { id: string; key: string; assets: string[] }[] = [];

  const call = async (method: string, path: string, key: string, body?: unknown) => {
    const res = await ctx.request(method, path, { key, body });
    const text = await res.text();
    expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
    return (text ? JSON.parse(text) : null) as Record<string, unknown>;
  };

  type Direct = Record<
    string,
    {
      alerts: number[];
      vulnerabilities: number[];
      baselineRisks: number[];
      vulnerabilitiesByType: Record<string, Record<string, number>>;
    }
  >;

  /** Counts straight from the findings tables: unhandled alerts, open or fixing vulnerabilities, unhandled risks. */
  async function directCounts(): Promise<Direct> {
    const { db } = ctx.services;
    const ids = members.map((m) => m.id);
    const bySeverity = (rows: { accountId: string; severity: string; n: number }[]) => {
      const out = new Map<string, number[]>(ids.map((id) => [id, SEVERITIES.map(() => 0)]));
      for (const r of rows) {
        const counts = out.get(r.accountId);
        if (counts) counts[SEVERITIES.indexOf(r.severity as (typeof SEVERITIES)[number])] = r.n;
      }
      return out;
    };
    const n = sql<number>`count(*)::int`;
    const [a, v, b, t] = await Promise.all([
      db
        .select({ accountId: alerts.accountId, severity: alerts.severity, n })
        .from(alerts)
        .where(sql`${inArray(alerts.accountId, ids)} and ${alerts.status} = 'unhandled'`)
        .groupBy(alerts.accountId, alerts.severity),
      db
        .select({ accountId: vulnerabilities.accountId, severity: vulnerabilities.severity, n })
        .from(vulnerabilities)
        .where(
          sql`${inArray(vulnerabilities.accountId, ids)} and ${vulnerabilities.status} in ('open', 'fixing')`,
        )
        .groupBy(vulnerabilities.accountId, vulnerabilities.severity),
      db
        .select({ accountId: baselineRisks.accountId, severity: baselineRisks.severity, n })
        .from(baselineRisks)
        .where(sql`${inArray(baselineRisks.accountId, ids)} and ${baselineRisks.status} = 'unhandled'`)
        .groupBy(baselineRisks.accountId, baselineRisks.severity),
      db
        .select({
          accountId: vulnerabilities.accountId,
          type: vulnerabilities.type,
          severity: vulnerabilities.severity,
          n,
        })
        .from(vulnerabilities)
        .where(
          sql`${inArray(vulnerabilities.accountId, ids)} and ${vulnerabilities.status} in ('open', 'fixing')`,
        )
        .groupBy(vulnerabilities.accountId, vulnerabilities.type, vulnerabilities.severity),
    ]);
    const byType = (id: string) => {
      const out = Object.fromEntries(
        VULNERABILITY_TYPES.map((type) => [type, Object.fromEntries(SEVERITIES.map((s) => [s, 0]))]),
      );
      for (const r of t) {
        const cell = out[r.type];
        if (r.accountId === id && cell) cell[r.severity] = r.n;
      }
      return out;
    };
    const [am, vm, bm] = [bySeverity(a), bySeverity(v), bySeverity(b)];
    return Object.fromEntries(
      ids.map((id) => [
        id,
        {
          alerts: am.get(id) ?? [],
          vulnerabilities: vm.get(id) ?? [],
          baselineRisks: bm.get(id) ?? [],
          vulnerabilitiesByType: byType(id),
        },
      ]),
    );
  }

  /** The whole `risk_counts` table equals a GROUP BY over the three findings tables (zero rows aside). */
  async function expectTableExact(): Promise<void> {
    const { db } = ctx.services;
    const [row] = await db
      .select({
        mismatches: sql<number>`(
          with direct as (
            select account_id, 'vulnerabilities' as kind, type, severity, status, count(*)::int as n
              from vulnerabilities group by 1, 2, 3, 4, 5
            union all
            select account_id, 'alerts', '', severity, status, count(*)::int from alerts group by 1, 2, 3, 4, 5
            union all
            select account_id, 'baseline_risks', '', severity, status, count(*)::int
              from baseline_risks group by 1, 2, 3, 4, 5)
          select count(*)::int
            from direct full join (select * from ${riskCounts} where n <> 0) rc
              using (account_id, kind, type, severity, status)
           where direct.n is distinct from rc.n)`,
      })
      .from(sql`(select 1) as one`);
    expect(row?.mismatches).toBe(0);
  }

  /** The overview (every page) and each member's risk view agree with the direct counts. */
  async function expectApiMatchesDirect(): Promise<void> {
    await expectTableExact();
    const direct = await directCounts();
    const overview = await call('GET', '/v1/multi-account/overview?limit=100', mgmtKey);
    const items = overview.items as Record<string, unknown>[];
    const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
    for (const m of members) {
      const d = direct[m.id];
      if (!d) throw new Error('no direct counts');
      expect(items.find((i) => i.accountId === m.id)).toMatchObject({
        unhandledAlerts: sum(d.alerts),
        openVulnerabilities: sum(d.vulnerabilities),
        baselineRisks: sum(d.baselineRisks),
      });
      let risks: Record<string, unknown> = {};
      // The caller's standing over the member, then the member's counts: two statements.
      const statements = await fewestStatements(
        ctx.database,
        async () => {
          risks = await call('GET', `/v1/multi-account/members/${m.id}/risks`, mgmtKey);
        },
        2,
      );
      expect(statements).toBe(2);
      const bySeverity = (xs: number[]) => Object.fromEntries(SEVERITIES.map((s, i) => [s, xs[i]]));
      expect(risks).toMatchObject({
        alertsBySeverity: bySeverity(d.alerts),
        vulnerabilitiesBySeverity: bySeverity(d.vulnerabilities),
        baselineRisksBySeverity: bySeverity(d.baselineRisks),
      });
      const byType = risks.vulnerabilitiesByType as Record<string, Record<string, number>>;
      const typeTotal = VULNERABILITY_TYPES.reduce(
        (s, t) => s + SEVERITIES.reduce((u, sev) => u + (byType[t]?.[sev] ?? 0), 0),
        0,
      );
      expect(typeTotal).toBe(sum(d.vulnerabilities));
      expect(byType).toEqual(d.vulnerabilitiesByType);
      expect(risks.score).toBe(items.find((i) => i.accountId === m.id)?.score);
    }
  }

  beforeAll(async () => {
    ctx = await createTestContext();
    const mgmt = await ctx.createAccount('Risk counts management');
    mgmtKey = mgmt.apiKey;
    await call('POST', '/v1/resource-directory', mgmtKey, { name: 'Risk counts' });
    await call('PUT', '/v1/multi-account/auto-add', mgmtKey, { enabled: true });
    for (const name of ['Counted one', 'Counted two']) {
      const created = await call('POST', '/v1/resource-directory/accounts', mgmtKey, { name });
      const key = created.adminKey as string;
      const made = await call('POST', '/v1/assets', key, {
        assets: [1, 2, 3].map((i) => ({ name: `${name}-${i}`, hostname: `h${i}`, osFamily: 'linux' })),
      });
      members.push({ id: created.id as string, key, assets: made.ids as string[] });
    }
  });
  afterAll(() => ctx?.close());

  it('match a direct count after ingest', async () => {
    const now = new Date().toISOString();
    for (const [k, m] of members.entries()) {
      await call('POST', '/v1/vulnerabilities', m.key, {
        items: m.assets.flatMap((assetId, i) =>
          VULNERABILITY_TYPES.map((type, j) => ({
            assetId,
            type,
            name: `V-${i}-${j}`,
            title: 'v',
            severity: SEVERITIES[(i + j + k) % 4],
            status: (i + j) % 5 === 0 ? 'fixed' : 'open',
          })),
        ),
      });
      await call('POST', '/v1/alerts', m.key, {
        items: m.assets.flatMap((assetId, i) =>
          SEVERITIES.map((severity, j) => ({
            externalId: `al-${i}-${j}`,
            assetId,
            name: 'alert',
            severity,
            status: j === 3 ? 'handled' : 'unhandled',
            occurredAt: now,
          })),
        ),
      });
      await call('POST', '/v1/baseline-risks', m.key, {
        items: m.assets.map((assetId, i) => ({
          assetId,
          checkName: `check-${i}`,
          severity: SEVERITIES[(i + k) % 4],
        })),
      });
    }
    await expectApiMatchesDirect();
    const risks = await call('GET', `/v1/multi-account/members/${members[0]?.id}/risks`, mgmtKey);
    expect(risks.unhandledAlerts).toBe(9);
  });

  it('match after re-ingest with new statuses and severities, PATCH and Playbook-style updates', async () => {
    const [m] = members;
    if (!m) throw new Error('no member');
    const now = new Date().toISOString();
    // A scan reports two vulnerabilities fixed and raises the severity of another; the same batch again is a no-op.
    const rescan = {
      items: [
        {
          assetId: m.assets[0],
          type: 'windows',
          name: 'V-0-1',
          title: 'v',
          severity: 'low',
          status: 'fixed',
        },
        { assetId: m.assets[1], type: 'linux', name: 'V-1-0', title: 'v', severity: 'high', status: 'fixed' },
        { assetId: m.assets[2], type: 'app', name: 'V-2-3', title: 'v', severity: 'critical' },
      ],
    };
    await call('POST', '/v1/vulnerabilities', m.key, rescan);
    await call('POST', '/v1/vulnerabilities', m.key, rescan);
    await call('POST', '/v1/alerts', m.key, {
      items: [
        {
          externalId: 'al-0-0',
          assetId: m.assets[0],
          name: 'alert',
          severity: 'critical',
          status: 'handled',
          occurredAt: now,
        },
        { externalId: 'al-0-1', assetId: m.assets[0], name: 'alert', severity: 'low', occurredAt: now },
      ],
    });
    await call('POST', '/v1/baseline-risks', m.key, {
      items: [{ assetId: m.assets[1], checkName: 'check-1', severity: 'high', status: 'handled' }],
    });
    const alertList = await call('GET', '/v1/alerts?status=unhandled&limit=1', m.key);
    const alertId = (alertList.items as { id: string }[])[0]?.id ?? '';
    await call('PATCH', `/v1/alerts/${alertId}`, m.key, { status: 'ignored' });
    const vulnList = await call('GET', '/v1/vulnerabilities?status=open&limit=1', m.key);
    const vulnId = (vulnList.items as { id: string }[])[0]?.id ?? '';
    await call('PATCH', `/v1/vulnerabilities/${vulnId}`, m.key, { status: 'ignored' });
    await expectApiMatchesDirect();

    // What the Playbook's fix does: open → fixing (still counted), then fixing → fixed, in a transaction.
    const { db } = ctx.services;
    const onAsset = eq(vulnerabilities.assetId, m.assets[2] ?? '');
    await db
      .update(vulnerabilities)
      .set({ status: 'fixing' })
      .where(sql`${onAsset} and status = 'open'`);
    await expectApiMatchesDirect();
    await db.transaction(async (tx) => {
      await tx.update(vulnerabilities).set({ status: 'fixed', fixedAt: new Date() }).where(onAsset);
      await tx.update(vulnerabilities).set({ severity: 'low' }).where(onAsset);
    });
    await expectApiMatchesDirect();
    // A rolled-back change leaves the counts alone.
    await expect(
      db.transaction(async (tx) => {
        await tx.update(vulnerabilities).set({ status: 'open' }).where(onAsset);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await expectApiMatchesDirect();
  });

  it('match after deletions: an asset (cascading) and findings deleted directly', async () => {
    const [m, other] = members;
    if (!m || !other) throw new Error('no members');
    const { db } = ctx.services;
    await db.delete(assets).where(eq(assets.id, m.assets[0] ?? ''));
    await expectApiMatchesDirect();
    await db.delete(alerts).where(eq(alerts.accountId, other.id));
    await db.delete(baselineRisks).where(eq(baselineRisks.assetId, other.assets[1] ?? ''));
    await expectApiMatchesDirect();
    const overview = await call('GET', '/v1/multi-account/overview?limit=100', mgmtKey);
    expect((overview.items as Record<string, unknown>[]).find((i) => i.accountId === other.id)).toMatchObject(
      {
        unhandledAlerts: 0,
      },
    );
  });
  it('stay exact under concurrent multi-chunk ingests and status changes of one account', async () => {
    const [m, other] = members;
    if (!m || !other) throw new Error('no members');
    const now = new Date().toISOString();
    // Four requests of 1,200 vulnerabilities each (three 500-row statements per transaction) and alerts, at once.
    // Without the per-account lock of the triggers, these transactions deadlock on counter rows.
    const vulnerabilityBatch = (r: number, status: 'open' | 'fixed') => ({
      items: Array.from({ length: 1200 }, (_, i) => ({
        assetId: other.assets[i % 2 === 0 ? 0 : 2],
        // Even requests write linux then windows rows, odd ones the reverse: their statements meet in opposite orders.
        type: i < 600 === (r % 2 === 0) ? 'linux' : 'windows',
        name: `C-${r}-${i}`,
        title: 'concurrent',
        severity: SEVERITIES[(i + r) % 4],
        status,
      })),
    });
    const alertBatch = (r: number, status: 'unhandled' | 'handled') => ({
      items: Array.from({ length: 600 }, (_, i) => ({
        externalId: `c-${r}-${i}`,
        name: 'concurrent',
        severity: SEVERITIES[i % 4],
        status,
        occurredAt: now,
      })),
    });
    await Promise.all([
      ...[0, 1, 2, 3].map((r) =>
        call('POST', '/v1/vulnerabilities', other.key, vulnerabilityBatch(r, 'open')),
      ),
      ...[0, 1].map((r) => call('POST', '/v1/alerts', other.key, alertBatch(r, 'unhandled'))),
      call('POST', '/v1/alerts', m.key, alertBatch(9, 'unhandled')),
    ]);
    await expectApiMatchesDirect();
    await Promise.all([
      ...[0, 2].map((r) => call('POST', '/v1/vulnerabilities', other.key, vulnerabilityBatch(r, 'fixed'))),
      call('POST', '/v1/alerts', other.key, alertBatch(1, 'handled')),
      call('POST', '/v1/vulnerabilities', other.key, vulnerabilityBatch(4, 'open')),
    ]);
    await expectApiMatchesDirect();
  });
});
