import { openDatabase } from '../db/client.js';
import { assets as assetsTable } from '../db/schema/inventory.js';
import { playbookTasks } from '../db/schema/playbook.js';
import { DEFAULT_POLICY_PARAMS } from '../domain/playbook/policy.js';
import { TASK_STATUSES } from '../domain/playbook/status.js';
import { STATIC_ASSETS } from '../console/static/assets.js';
import { offlineApp } from './offline-app.js';
import { percentile } from './progress.js';

/**
 * Console figures: server render time (p50/p99) of each console page over an account with 10,000 assets and 1,000
 * tasks on PGlite, in-process (`app.request`, no network), and the bytes of JS and CSS the first page loads.
 * Prints one JSON object. `npx tsx bench/console.ts [--renders N]`
 */
const ASSETS = Number(process.env.BENCH_ASSETS ?? 10_000);
const TASKS = Number(process.env.BENCH_TASKS ?? 1_000);
const args = process.argv.slice(2);
const i = args.indexOf('--renders');
const RENDERS = i >= 0 ? Number(args[i + 1]) : 200;

const handle = await openDatabase({});
await handle.migrate();
const { services, app, account, adminKey } = await offlineApp(handle);
const headers = { authorization: `Bearer ${adminKey.key}`, 'content-type': 'application/json' };
const assets = Array.from({ length: ASSETS }, (_, n) => ({
  name: `${['web', 'db', 'cache', 'queue', 'api'][n % 5]}-${String(n).padStart(5, '0')}`,
  hostname: `host-${n}.bench.internal`,
  ips: [`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`],
  osFamily: 'linux',
  osVersion: 'Ubuntu 22.04',
  groups: [`rack-${n % 20}`],
}));
const up = await app.request('/v1/assets', { method: 'POST', headers, body: JSON.stringify({ assets }) });
if (up.status !== 200) throw new Error(`asset upsert answered ${up.status}`);
await handle.db.insert(playbookTasks).values(
  Array.from({ length: TASKS }, (_, n) => ({
    accountId: account.id,
    name: `task ${n}`,
    params: DEFAULT_POLICY_PARAMS,
    status: TASK_STATUSES[n % TASK_STATUSES.length] ?? 'Succeeded',
    mode: 'now' as const,
    selection: { groupIds: [], assetIds: [], search: null },
    assetCount: 0,
    vulnerabilityCount: 0,
    createdBy: 'bench',
  })),
);

// A console session, as a browser gets one.
const signInPage = await app.request('/console/sign-in');
const pre = /vigil_presession=([^;]+)/.exec(signInPage.headers.getSetCookie().join('\n'))?.[1] ?? '';
const signedIn = await app.request('/console/sign-in', {
  method: 'POST',
  headers: { cookie: `vigil_presession=${pre}`, 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ _csrf: pre, apiKey: adminKey.key }).toString(),
});
const session = /vigil_session=([^;]+)/.exec(signedIn.headers.getSetCookie().join('\n'))?.[1] ?? '';
const [oneTask] = await handle.db.select({ id: playbookTasks.id }).from(playbookTasks).limit(1);
const [oneAsset] = await handle.db.select({ id: assetsTable.id }).from(assetsTable).limit(1);

const pages = [
  '/console',
  '/console/assets',
  '/console/assets?search=web-0001',
  '/console/assets?agentStatus=none&groupId=',
  `/console/assets/${oneAsset?.id ?? ''}`,
  '/console/playbook/tasks',
  '/console/playbook/tasks?status=Waiting',
  `/console/playbook/tasks/${oneTask?.id ?? ''}`,
  '/console/reports',
  '/console/signature/decisions',
  '/console/notifications',
  '/console/accounts/invitations',
  '/console/audit-log',
];
const figures: Record<string, { p50Ms: number; p99Ms: number; htmlChars: number }> = {};
for (const page of pages) {
  const times: number[] = [];
  let htmlChars = 0;
  for (let n = 0; n < RENDERS; n++) {
    const t = performance.now();
    const res = await app.request(page, { headers: { cookie: `vigil_session=${session}` } });
    const text = await res.text();
    times.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`${page} answered ${res.status}: ${text.slice(0, 200)}`);
    htmlChars = text.length;
  }
  times.sort((a, b) => a - b);
  figures[page] = { p50Ms: round(percentile(times, 50)), p99Ms: round(percentile(times, 99)), htmlChars };
}
function round(n: number) {
  return Math.round(n * 10) / 10;
}

console.log(
  JSON.stringify(
    {
      bench: 'console',
      driver: 'pglite',
      assets: ASSETS,
      tasks: TASKS,
      rendersPerPage: RENDERS,
      firstPageJsCssGzipBytes:
        STATIC_ASSETS.css.gzip.length + STATIC_ASSETS.js.gzip.length + STATIC_ASSETS.htmx.gzip.length,
      pages: figures,
    },
    null,
    2,
  ),
);
services.mailer.close();
await handle.close();
