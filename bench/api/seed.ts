import { DEFAULT_POLICY_PARAMS } from '../../domain/playbook/policy.js';

/**
 * Set-based seeding of a fleet for bench/api.ts: each table is one `INSERT … SELECT … generate_series` statement (a
 * chunk of one), so 100,000 assets and a million vulnerabilities take seconds, not a million round trips. Ids are
 * UUIDv7 made in SQL (`bench_uuid7`) from the row's creation time, as the application makes them, so id order is
 * creation order and cursors mean what they mean in production.
 */
export interface FleetSize {
  assets: number;
  vulnerabilitiesPerAsset: number;
  tasks: number;
  logsPerTask: number;
  auditPerDay: number;
}

export const sizeAt = (scale: number): FleetSize => ({
  assets: Math.max(100, Math.round(100_000 * scale)),
  vulnerabilitiesPerAsset: 10,
  tasks: Math.max(10, Math.round(1_000 * scale)),
  logsPerTask: 50,
  auditPerDay: Math.max(10, Math.round(1_000 * scale)),
});

const DAY_MS = 86_400_000;
const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

export const uuid7Function = `
CREATE OR REPLACE FUNCTION bench_uuid7(ms bigint, salt text) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
  SELECT (lpad(to_hex(ms), 12, '0') || '7' || substr(md5(salt), 1, 3) || '8' || substr(md5(salt), 4, 15))::uuid
$$`;

/** Statements (with a label each) that seed `accountId`'s fleet; `from`/`count` select a slice of its assets. */
export function assetStatements(accountId: string, size: FleetSize, t0: number, chunk = 20_000) {
  const a = q(accountId);
  const out: { label: string; rows: number; sql: string }[] = [
    {
      label: 'asset groups',
      rows: 50,
      sql: `INSERT INTO asset_groups (id, account_id, name, description)
        SELECT bench_uuid7(${t0} + g, ${a} || 'g' || g), ${a}, 'rack-' || g, '' FROM generate_series(0, 49) g`,
    },
  ];
  // Assets are created over the year before now; their vulnerabilities and alerts after them.
  const assetMs = (i: string) => `${t0} + (${i})::bigint * ${Math.floor((300 * DAY_MS) / size.assets)}`;
  for (let from = 0; from < size.assets; from += chunk) {
    const to = Math.min(size.assets, from + chunk) - 1;
    const ip = `'10.' || ((i >> 16) & 255) || '.' || ((i >> 8) & 255) || '.' || (i & 255)`;
    out.push({
      label: 'assets',
      rows: to - from + 1,
      sql: `INSERT INTO assets (id, account_id, instance_id, name, hostname, ips, ip_text, os_family, os_version, tags,
          agent_status, last_seen_at)
        SELECT bench_uuid7(${assetMs('i')}, ${a} || 'a' || i), ${a}, 'i-' || lpad(to_hex(i), 8, '0'),
          (ARRAY['web', 'db', 'cache', 'queue', 'api'])[i % 5 + 1] || '-' || lpad(i::text, 6, '0'),
          'host-' || i || '.bench.internal', ARRAY[${ip}], ${ip},
          CASE WHEN i % 7 = 0 THEN 'windows' ELSE 'linux' END,
          CASE WHEN i % 7 = 0 THEN 'Windows Server 2022' ELSE 'Ubuntu 22.04' END, ARRAY['bench'],
          (ARRAY['online', 'offline', 'none'])[i % 3 + 1], CASE WHEN i % 3 = 2 THEN NULL ELSE now() END
        FROM generate_series(${from}, ${to}) i`,
    });
    out.push({
      label: 'group members',
      rows: to - from + 1,
      sql: `INSERT INTO asset_group_members (account_id, group_id, asset_id)
        SELECT ${a}, g.id, s.id FROM (
          SELECT id, substring(name from '[0-9]+$')::int AS n FROM assets
          WHERE account_id = ${a} AND instance_id BETWEEN 'i-' || lpad(to_hex(${from}), 8, '0')
            AND 'i-' || lpad(to_hex(${to}), 8, '0')) s
        JOIN asset_groups g ON g.account_id = ${a} AND g.name = 'rack-' || (s.n % 50)`,
    });
    const perAsset = size.vulnerabilitiesPerAsset;
    out.push({
      label: 'vulnerabilities',
      rows: (to - from + 1) * perAsset,
      sql: `INSERT INTO vulnerabilities (id, account_id, asset_id, type, name, title, cve_ids, severity, fixable,
          package_name, installed_version, fixed_version, status, fixed_at, first_seen_at, last_seen_at, latest_scan_at)
        SELECT bench_uuid7(${t0} + ${310 * DAY_MS}::bigint + s.n::bigint * ${perAsset} + k, ${a} || 'v' || s.n || '-' || k),
          ${a}, s.id, CASE WHEN s.os_family = 'windows' THEN 'windows' ELSE 'linux' END,
          'USN-' || (6000 + (s.n * 7 + k * 131) % 2000) || '-' || k, 'openssl: issue ' || k,
          ARRAY['CVE-2024-' || (1000 + (s.n + k) % 9000)],
          (ARRAY['critical', 'high', 'high', 'medium', 'medium', 'medium', 'low', 'low', 'low', 'low'])[(s.n + k * 3) % 10 + 1],
          (s.n + k) % 4 <> 0, 'pkg-' || k, '1.0.' || k, '1.1.' || k,
          CASE WHEN (s.n * 3 + k) % 20 < 14 THEN 'open' WHEN (s.n * 3 + k) % 20 < 19 THEN 'fixed' ELSE 'ignored' END,
          CASE WHEN (s.n * 3 + k) % 20 BETWEEN 14 AND 18 THEN now() END, now(), now(), now()
        FROM (SELECT id, os_family, substring(name from '[0-9]+$')::int AS n FROM assets
              WHERE account_id = ${a} AND instance_id BETWEEN 'i-' || lpad(to_hex(${from}), 8, '0')
                AND 'i-' || lpad(to_hex(${to}), 8, '0')) s
        CROSS JOIN generate_series(0, ${perAsset - 1}) k`,
    });
    out.push({
      label: 'alerts',
      rows: to - from + 1,
      sql: `INSERT INTO alerts (id, account_id, asset_id, external_id, name, type, severity, status, occurred_at,
          handled_at)
        SELECT bench_uuid7(${t0} + ${340 * DAY_MS}::bigint + s.n, ${a} || 'al' || s.n), ${a}, s.id,
          'alert-' || s.n, 'Suspicious process ' || (s.n % 97), (ARRAY['process', 'network', 'file'])[s.n % 3 + 1],
          (ARRAY['critical', 'high', 'medium', 'low'])[s.n % 4 + 1],
          (ARRAY['unhandled', 'unhandled', 'handled', 'ignored'])[(s.n / 4) % 4 + 1], now() - (s.n % 365) * interval '1 day',
          CASE WHEN (s.n / 4) % 4 >= 2 THEN now() END
        FROM (SELECT id, substring(name from '[0-9]+$')::int AS n FROM assets
              WHERE account_id = ${a} AND instance_id BETWEEN 'i-' || lpad(to_hex(${from}), 8, '0')
                AND 'i-' || lpad(to_hex(${to}), 8, '0')) s`,
    });
  }
  return out;
}

/** Playbook tasks (all ended, so a task read never asks Temporal), their logs, a year of audit rows, reports. */
export function accountStatements(accountId: string, size: FleetSize, t0: number) {
  const a = q(accountId);
  const params = q(JSON.stringify(DEFAULT_POLICY_PARAMS));
  const days = 365;
  return [
    {
      label: 'policy',
      rows: 1,
      sql: `INSERT INTO playbook_policies (id, account_id, template_id, name, params)
        VALUES (bench_uuid7(${t0}, ${a} || 'policy'), ${a}, '00000000-0000-7000-8000-000000000001', 'bench', ${params})`,
    },
    {
      label: 'tasks',
      rows: size.tasks,
      sql: `INSERT INTO playbook_tasks (id, account_id, policy_id, name, params, status, execution, mode, selection,
          asset_count, vulnerability_count, started_execution, created_by, started_at, ended_at)
        SELECT bench_uuid7(${t0} + ${DAY_MS}::bigint + t::bigint * ${Math.floor((300 * DAY_MS) / size.tasks)}, ${a} || 't' || t),
          ${a}, (SELECT id FROM playbook_policies WHERE account_id = ${a} LIMIT 1), 'fix batch ' || t, ${params},
          (ARRAY['Succeeded', 'PartiallyFailed', 'Failed', 'Cancelled'])[t % 4 + 1], 1, 'now',
          '{"groupIds":[],"assetIds":[],"search":null}'::jsonb, 10, 5, 1, 'key:bench', now(), now()
        FROM generate_series(0, ${size.tasks - 1}) t`,
    },
    {
      label: 'task logs',
      rows: size.tasks * size.logsPerTask,
      sql: `INSERT INTO playbook_task_logs (id, account_id, task_id, execution, dedupe_key, level, event, message)
        SELECT bench_uuid7((('x' || substr(replace(t.id::text, '-', ''), 1, 12))::bit(48)::bigint) + j, t.id::text || j),
          ${a}, t.id, 1, 'bench:' || j, (ARRAY['info', 'info', 'info', 'warn', 'error'])[j % 5 + 1],
          (ARRAY['asset.start', 'step.end', 'asset.end'])[j % 3 + 1], 'asset web-' || j || ': step ' || (j % 5) || ' done'
        FROM playbook_tasks t CROSS JOIN generate_series(0, ${size.logsPerTask - 1}) j
        WHERE t.account_id = ${a}`,
    },
    {
      label: 'audit log',
      rows: days * size.auditPerDay,
      sql: `INSERT INTO audit_log (id, account_id, actor, action, target_type, target_id, after, at)
        SELECT bench_uuid7(${t0} + j::bigint * ${Math.floor((days * DAY_MS) / (days * size.auditPerDay))}, ${a} || 'au' || j), ${a},
          'key:bench', (ARRAY['assets.upsert', 'vulnerabilities.ingest', 'vulnerabilities.status', 'playbook_task.create',
            'report.update', 'api_key.create'])[j % 6 + 1],
          'asset', 'target-' || (j % 5000), jsonb_build_object('count', j % 100),
          to_timestamp((${t0} + j::bigint * ${Math.floor((days * DAY_MS) / (days * size.auditPerDay))}) / 1000.0)
        FROM generate_series(0, ${days * size.auditPerDay - 1}) j`,
    },
    {
      label: 'reports',
      rows: 10,
      sql: `INSERT INTO reports (id, account_id, name, type, is_default, enabled, time_zone, send_window_start,
          send_window_end, language, items)
        SELECT bench_uuid7(${t0} + r, ${a} || 'r' || r), ${a}, 'report ' || r,
          (ARRAY['daily', 'weekly', 'monthly'])[r % 3 + 1], false, false, 'Asia/Shanghai', '08:00', '10:00', 'en',
          ARRAY['assets', 'vulnerabilities', 'alerts']
        FROM generate_series(1, 9) r`,
    },
  ];
}

/** The bench account manages `members` (a resource directory with managed members, each with a small fleet). */
export function directoryStatements(managementId: string, memberIds: string[], t0: number) {
  const a = q(managementId);
  const members = memberIds.map(q).join(', ');
  return [
    {
      label: 'resource directory',
      rows: 1 + memberIds.length,
      sql: `WITH d AS (
          INSERT INTO resource_directories (id, account_id, name) VALUES (bench_uuid7(${t0}, ${a} || 'dir'), ${a}, 'bench')
          RETURNING id),
        m AS (INSERT INTO directory_accounts (account_id, directory_id, joined_via)
          SELECT x, d.id, CASE WHEN x = ${a}::uuid THEN 'enabled' ELSE 'created' END
          FROM d, unnest(ARRAY[${a}, ${members}]::uuid[]) x RETURNING 1)
        INSERT INTO managed_members (account_id, directory_id, added_by)
          SELECT x, d.id, 'key:bench' FROM d, unnest(ARRAY[${members}]::uuid[]) x`,
    },
  ];
}
