import { sql } from 'drizzle-orm';
import { createAccount } from '../services/accounts/create-account.js';
import { renderReport } from '../services/reports/render-report.js';
import { gatherReportStats } from '../services/reports/gather-report-stats.js';
import type { DatabaseHandle } from '../db/client.js';
import { reportPeriod } from '../domain/reports/period.js';
import { REPORT_ITEMS, type TReportLanguage, type TReportType } from '../domain/reports/rules.js';
import { createTestDatabase } from '../test/database.js';
import { runBench } from './cli.js';

/**
 * Report statistics + rendering for one account with 10,000 assets and 100,000 findings (70k vulnerabilities,
 * 15k alerts, 10k baseline risks, 5k attack events), seeded by bulk SQL. Prints JSON: time per report (target
 * < 2 s) and HTML size (target < 100 KB). PGlite always; Postgres too when TEST_DATABASE_URL or DATABASE_URL is set.
 * `npx tsx bench/reports.ts [--runs N]`
 */
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] || 3) || 3;
const ASSETS = 10_000;
const SPLIT = { vulnerabilities: 70_000, alerts: 15_000, baselineRisks: 10_000, attackEvents: 5_000 };

async function seed(handle: DatabaseHandle): Promise<{ accountId: string; seedMs: number }> {
  const t0 = performance.now();
  const { account } = await createAccount(handle.db, { name: 'bench', timeZone: 'Asia/Shanghai' });
  const a = sql`${account.id}::uuid`;
  const db = handle.db;
  await db.execute(sql`insert into assets (id, account_id, instance_id, name, hostname, os_family, agent_status, created_at)
    select gen_random_uuid(), ${a}, 'i-' || g, 'host-' || g, 'host-' || g || '.example.internal', 'linux',
      (array['online','offline','none'])[1 + g % 3], now() - (g % 90) * interval '1 day'
    from generate_series(1, ${ASSETS}) g`);
  const ranked = sql`(select id, row_number() over (order by id) as rn from assets where account_id = ${a}) x`;
  await db.execute(sql`insert into vulnerabilities (id, account_id, asset_id, type, name, title, severity, status, first_seen_at, fixed_at, fixable)
    select gen_random_uuid(), ${a}, x.id, 'linux', 'USN-' || g, 'CVE-2026-' || (g % 700) || ' in package-' || (g % 300),
      (array['critical','high','medium','low'])[1 + g % 4],
      case when g % 5 = 0 then 'fixed' else 'open' end,
      now() - (g % 60) * interval '1 day' - (g % 24) * interval '1 hour',
      case when g % 5 = 0 then now() - (g % 40) * interval '1 day' end, true
    from generate_series(1, ${SPLIT.vulnerabilities}) g join ${ranked} on x.rn = 1 + g % ${ASSETS}`);
  await db.execute(sql`insert into alerts (id, account_id, asset_id, external_id, name, severity, status, occurred_at)
    select gen_random_uuid(), ${a}, x.id, 'alert-' || g, 'Suspicious process ' || (g % 50),
      (array['critical','high','medium','low'])[1 + g % 4], (array['unhandled','handled','ignored'])[1 + g % 3],
      now() - (g % 60) * interval '1 day'
    from generate_series(1, ${SPLIT.alerts}) g join ${ranked} on x.rn = 1 + g % ${ASSETS}`);
  await db.execute(sql`insert into baseline_risks (id, account_id, asset_id, check_name, severity, status, first_seen_at)
    select gen_random_uuid(), ${a}, x.id, 'check-' || g, (array['critical','high','medium','low'])[1 + g % 4],
      (array['unhandled','handled'])[1 + g % 2], now() - (g % 60) * interval '1 day'
    from generate_series(1, ${SPLIT.baselineRisks}) g join ${ranked} on x.rn = 1 + g % ${ASSETS}`);
  await db.execute(sql`insert into attack_events (id, account_id, asset_id, external_id, attack_type, severity, blocked, occurred_at)
    select gen_random_uuid(), ${a}, x.id, 'attack-' || g, (array['ssh brute force','sql injection','web shell upload','port scan'])[1 + g % 4],
      (array['critical','high','medium','low'])[1 + g % 4], g % 3 <> 0, now() - (g % 60) * interval '1 day'
    from generate_series(1, ${SPLIT.attackEvents}) g join ${ranked} on x.rn = 1 + g % ${ASSETS}`);
  await db.execute(sql`analyze`);
  return { accountId: account.id, seedMs: Math.round(performance.now() - t0) };
}

async function measure(handle: DatabaseHandle, accountId: string) {
  const cases: { type: TReportType; language: TReportLanguage }[] = [
    { type: 'daily', language: 'en' },
    { type: 'weekly', language: 'zh-CN' },
    { type: 'monthly', language: 'en' },
  ];
  const out = [];
  for (const c of cases) {
    const period = reportPeriod({ type: c.type, timeZone: 'Asia/Shanghai', scheduledAt: new Date() });
    const timings: { statsMs: number; renderMs: number; totalMs: number }[] = [];
    let size = { htmlBytes: 0, textBytes: 0, imageBytes: 0 };
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const stats = await gatherReportStats(handle.db, { accountId, period, items: REPORT_ITEMS });
      const t1 = performance.now();
      const r = await renderReport({
        name: 'Bench report',
        type: c.type,
        language: c.language,
        stats,
        generatedAt: new Date(),
      });
      const t2 = performance.now();
      timings.push({
        statsMs: Math.round(t1 - t0),
        renderMs: Math.round(t2 - t1),
        totalMs: Math.round(t2 - t0),
      });
      size = {
        htmlBytes: Buffer.byteLength(r.html),
        textBytes: Buffer.byteLength(r.text),
        imageBytes: r.images.reduce((n, img) => n + img.content.length, 0),
      };
    }
    const totals = timings.map((t) => t.totalMs).sort((x, y) => x - y);
    out.push({
      ...c,
      period: period.label,
      runs: timings,
      medianTotalMs: totals[Math.floor(totals.length / 2)],
      maxTotalMs: totals[totals.length - 1],
      ...size,
      htmlUnder100KB: size.htmlBytes < 100 * 1024,
    });
  }
  return out;
}

async function runOn(driver: 'pglite' | 'postgres') {
  const handle = await createTestDatabase(driver);
  try {
    const { accountId, seedMs } = await seed(handle);
    return { driver, assets: ASSETS, findings: SPLIT, seedMs, reports: await measure(handle, accountId) };
  } finally {
    await handle.close();
  }
}

async function main() {
  if (!process.env.TEST_DATABASE_URL && process.env.DATABASE_URL)
    process.env.TEST_DATABASE_URL = process.env.DATABASE_URL;
  const results = [await runOn('pglite')];
  if (process.env.TEST_DATABASE_URL) results.push(await runOn('postgres'));
  process.stdout.write(
    `${JSON.stringify({ bench: 'reports', targets: { totalMs: 2000, htmlBytes: 102400 }, results }, null, 2)}\n`,
  );
}

runBench(main);
