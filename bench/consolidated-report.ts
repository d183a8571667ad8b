import { sql } from 'drizzle-orm';
import { createAccount } from '../services/accounts/create-account.js';
import type { DatabaseHandle } from '../db/client.js';
import { directoryAccounts, managedMembers, resourceDirectories } from '../db/schema/multi-account.js';
import { reportPeriod } from '../domain/reports/period.js';
import { REPORT_ITEMS } from '../domain/reports/rules.js';
import { gatherConsolidatedStats } from '../services/reports/gather-consolidated-stats.js';
import { renderReport } from '../services/reports/render-report.js';
import { createTestDatabase } from '../test/database.js';
import { runBench } from './cli.js';

/**
 * A consolidated report (issue 16): a management account over 50 managed members, each with 2,000 assets and 20
 * findings per asset (14 vulnerabilities, 3 alerts, 2 baseline risks, 1 attack event): 100,000 assets and
 * 2,000,000 findings, seeded by bulk SQL. Prints JSON: statistics + render time (target < 5 s) and the HTML size
 * (target < 200 KB). Postgres (TEST_DATABASE_URL or DATABASE_URL); `--pglite` (or no Postgres) runs PGlite.
 * `npx tsx bench/consolidated-report.ts [--runs N] [--members N] [--assets N] [--pglite]`
 */
const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => Number(args[args.indexOf(name) + 1] || fallback) || fallback;
const RUNS = args.includes('--runs') ? flag('--runs', 3) : 3;
// Without Postgres the default scale is cut to a tenth of the members and a quarter of the assets (PGlite seeds
// 2,000,000 findings too slowly for `npm run bench`); the JSON says which scale ran.
const ON_POSTGRES =
  !args.includes('--pglite') && Boolean(process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL);
const MEMBERS = args.includes('--members') ? flag('--members', 50) : ON_POSTGRES ? 50 : 5;
const ASSETS = args.includes('--assets') ? flag('--assets', 2000) : ON_POSTGRES ? 2000 : 500;
const PER_ASSET = { vulnerabilities: 14, alerts: 3, baselineRisks: 2, attackEvents: 1 };

async function seed(handle: DatabaseHandle) {
  const t0 = performance.now();
  const db = handle.db;
  const { account: mgmt } = await createAccount(db, { name: 'holding', timeZone: 'Asia/Shanghai' });
  const [dir] = await db
    .insert(resourceDirectories)
    .values({ accountId: mgmt.id, name: 'Holding' })
    .returning();
  if (!dir) throw new Error('no directory');
  await db
    .insert(directoryAccounts)
    .values({ accountId: mgmt.id, directoryId: dir.id, joinedVia: 'enabled' });
  const ids: string[] = [];
  for (let i = 1; i <= MEMBERS; i++) {
    const { account } = await createAccount(db, {
      name: `Subsidiary ${String(i).padStart(2, '0')}`,
      timeZone: 'Asia/Shanghai',
    });
    ids.push(account.id);
    await db
      .insert(directoryAccounts)
      .values({ accountId: account.id, directoryId: dir.id, joinedVia: 'created' });
    await db.insert(managedMembers).values({ accountId: account.id, directoryId: dir.id, addedBy: 'bench' });
  }
  const members = sql`(select unnest(${sql.raw(`array[${ids.map((id) => `'${id}'`).join(',')}]`)}::uuid[]) as account_id) m`;
  await db.execute(sql`insert into assets (id, account_id, instance_id, name, hostname, os_family, agent_status, created_at)
    select gen_random_uuid(), m.account_id, 'i-' || g, 'host-' || g, 'host-' || g || '.example.internal', 'linux',
      (array['online','offline','none'])[1 + g % 3], now() - (g % 90) * interval '1 day'
    from ${members} cross join generate_series(1, ${ASSETS}) g`);
  const sev = (k: string) => sql.raw(`(array['critical','high','medium','low'])[1 + (${k}) % 4]`);
  await db.execute(sql`insert into vulnerabilities (id, account_id, asset_id, type, name, title, severity, status, first_seen_at, fixed_at, fixable)
    select gen_random_uuid(), a.account_id, a.id, 'linux', 'USN-' || k, 'CVE-2026-' || (k * 37 % 700) || ' in package-' || (k % 300),
      ${sev('k + length(a.instance_id)')}, case when k % 5 = 0 then 'fixed' else 'open' end,
      now() - (k % 60) * interval '1 day', case when k % 5 = 0 then now() - (k % 40) * interval '1 day' end, true
    from assets a cross join generate_series(1, ${PER_ASSET.vulnerabilities}) k where a.account_id <> ${mgmt.id}::uuid`);
  await db.execute(sql`insert into alerts (id, account_id, asset_id, external_id, name, severity, status, occurred_at)
    select gen_random_uuid(), a.account_id, a.id, a.instance_id || '-' || k, 'Suspicious process ' || k,
      ${sev('k + length(a.instance_id)')}, (array['unhandled','handled','ignored'])[1 + k % 3], now() - (k % 60) * interval '1 day'
    from assets a cross join generate_series(1, ${PER_ASSET.alerts}) k where a.account_id <> ${mgmt.id}::uuid`);
  await db.execute(sql`insert into baseline_risks (id, account_id, asset_id, check_name, severity, status, first_seen_at)
    select gen_random_uuid(), a.account_id, a.id, 'check-' || k, ${sev('k')}, (array['unhandled','handled'])[1 + k % 2],
      now() - (k % 60) * interval '1 day'
    from assets a cross join generate_series(1, ${PER_ASSET.baselineRisks}) k where a.account_id <> ${mgmt.id}::uuid`);
  await db.execute(sql`insert into attack_events (id, account_id, asset_id, external_id, attack_type, severity, blocked, occurred_at)
    select gen_random_uuid(), a.account_id, a.id, a.instance_id || '-atk', (array['ssh brute force','sql injection','web shell upload','port scan'])[1 + length(a.instance_id) % 4],
      ${sev('length(a.instance_id)')}, true, now() - (length(a.instance_id) % 60) * interval '1 day'
    from assets a where a.account_id <> ${mgmt.id}::uuid`);
  await db.execute(sql`analyze`);
  return { accountId: mgmt.id, seedMs: Math.round(performance.now() - t0) };
}

async function main() {
  if (!process.env.TEST_DATABASE_URL && process.env.DATABASE_URL)
    process.env.TEST_DATABASE_URL = process.env.DATABASE_URL;
  const driver = args.includes('--pglite') || !process.env.TEST_DATABASE_URL ? 'pglite' : 'postgres';
  const handle = await createTestDatabase(driver);
  try {
    const { accountId, seedMs } = await seed(handle);
    const period = reportPeriod({ type: 'weekly', timeZone: 'Asia/Shanghai', scheduledAt: new Date() });
    const runs: {
      statsMs: number;
      renderMs: number;
      totalMs: number;
      htmlBytes: number;
      textBytes: number;
    }[] = [];
    let sections = 0;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const stats = await gatherConsolidatedStats(handle.db, { accountId, period, items: REPORT_ITEMS });
      const t1 = performance.now();
      const r = await renderReport({
        name: 'Group weekly',
        type: 'weekly',
        language: 'en',
        stats,
        generatedAt: new Date(),
      });
      const t2 = performance.now();
      sections = stats.members?.length ?? 0;
      runs.push({
        statsMs: Math.round(t1 - t0),
        renderMs: Math.round(t2 - t1),
        totalMs: Math.round(t2 - t0),
        htmlBytes: Buffer.byteLength(r.html),
        textBytes: Buffer.byteLength(r.text),
      });
    }
    const totals = runs.map((r) => r.totalMs).sort((a, b) => a - b);
    const html = Math.max(...runs.map((r) => r.htmlBytes));
    const result = {
      bench: 'consolidated-report',
      driver,
      members: MEMBERS,
      assetsPerMember: ASSETS,
      findingsPerAsset: Object.values(PER_ASSET).reduce((a, b) => a + b, 0),
      findings: MEMBERS * ASSETS * Object.values(PER_ASSET).reduce((a, b) => a + b, 0),
      seedMs,
      memberSections: sections,
      runs,
      medianTotalMs: totals[Math.floor(totals.length / 2)],
      maxTotalMs: totals[totals.length - 1],
      htmlBytes: html,
      targets: { totalMs: 5000, htmlBytes: 200 * 1024 },
      withinTargets: (totals[totals.length - 1] ?? Infinity) < 5000 && html < 200 * 1024,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await handle.close();
  }
}

runBench(main);
