import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import postgres from 'postgres';
import { createAccount } from '../services/accounts/create-account.js';
import { createEnrollmentToken } from '../services/agents/create-enrollment-token.js';
import { registerAgent } from '../services/agents/register-agent.js';
import { openDatabase } from '../db/client.js';
import { agents } from '../db/schema/agents.js';
import { assets } from '../db/schema/inventory.js';
import { AGENT_TOKEN_PREFIX, TOKEN_SECRET_LENGTH } from '../domain/agent-jobs.js';
import { hashToken, randomToken } from '../platform/secrets.js';
import { projectRoot } from '../platform/config.js';
import { startDevServer } from '../platform/dev-server.js';
import { ensureTemporalCli } from '../platform/temporal-cli.js';
import { BENCH_MASTER_KEY } from './embedded.js';
import { progress } from './progress.js';
import { waitFor } from './wait-for.js';

/**
 * Idle fleet figures (issue 17 item 3): N enrolled agents hold long polls (`GET /agent/v1/jobs?waitSeconds=30`)
 * against the API as production runs it (`api/main.ts`, its own process, Postgres); a separate client process holds
 * the polls over keep-alive sockets. Samples the API process's RSS and CPU from /proc for `--seconds` of idleness
 * once every poll is waiting, and prints them as JSON (with the client's errors by kind, and the kernel's accept-queue
 * overflows during the window). Env: IDLE_FLEET_HEAP_DIR, IDLE_FLEET_CPU_PROF_DIR, IDLE_FLEET_API_NODE_FLAGS.
 * `npx tsx bench/idle-fleet.ts [--agents 10000] [--seconds 60] [--wait 30] [--compiled]` (--compiled: run
 * `npm run build` first).
 */
const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const AGENTS = arg('agents', 10_000);
const SECONDS = arg('seconds', 60);
const WAIT = arg('wait', 30);
const COMPILED = args.includes('--compiled');
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CLK_TCK = 100;

const log = (l: string) => process.stderr.write(`${l}\n`);

/** The client process: holds one long poll per token, re-polling as each ends; reports counts on stdout. */
async function client(base: string, tokensFile: string): Promise<void> {
  const tokens = readFileSync(tokensFile, 'utf8').trim().split('\n');
  const dispatcher = new Agent({
    connections: tokens.length + 16,
    keepAliveTimeout: 120_000,
    keepAliveMaxTimeout: 120_000,
    headersTimeout: (WAIT + 30) * 1000,
    bodyTimeout: (WAIT + 30) * 1000,
    pipelining: 1,
  });
  const counts = { waiting: 0, answered: 0, errors: 0, jobs: 0 };
  let lastError = '';
  /** Errors by kind (HTTP status or the client's message), since the start. */
  const errorKinds: Record<string, number> = {};
  const failed = (kind: string) => {
    counts.errors++;
    lastError = kind;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  };
  const poll = async (token: string): Promise<void> => {
    for (;;) {
      counts.waiting++;
      try {
        const res = await request(`${base}/agent/v1/jobs?waitSeconds=${WAIT}`, {
          dispatcher,
          headers: { authorization: `Bearer ${token}` },
        });
        await res.body.dump();
        if (res.statusCode === 200) counts.jobs++;
        else if (res.statusCode !== 204) {
          failed(`HTTP ${res.statusCode}`);
          await new Promise((r) => setTimeout(r, 1000));
        }
        counts.answered++;
      } catch (err) {
        failed((err as Error).message);
        await new Promise((r) => setTimeout(r, 1000));
      } finally {
        counts.waiting--;
      }
    }
  };
  // Open the polls over a few seconds, the way a fleet's agents start at different times.
  for (let i = 0; i < tokens.length; i++) {
    void poll(tokens[i] ?? '');
    if (i % 500 === 499) await new Promise((r) => setTimeout(r, 100));
  }
  setInterval(() => process.stdout.write(`${JSON.stringify({ ...counts, lastError, errorKinds })}\n`), 1000);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** RSS (bytes) and user+system CPU (seconds) of a process, from /proc. */
function sample(pid: number): { rss: number; cpu: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rss: rssKb * 1024, cpu };
}

const mib = (b: number) => Math.round(b / 2 ** 20);

interface MemoryReport {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  totalHeapSize: number;
}

/** The API's own `process.memoryUsage()`, as `bench/memory-probe.mjs` last wrote it (MiB). */
function memoryReport(file: string): Record<string, number> | undefined {
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as MemoryReport;
    return {
      heapUsed: mib(m.heapUsed),
      heapTotal: mib(m.heapTotal),
      external: mib(m.external),
      arrayBuffers: mib(m.arrayBuffers),
      nativeOutsideHeap: mib(m.rss - m.heapTotal),
    };
  } catch (err) {
    log(`no memory report yet: ${(err as Error).message}`);
    return undefined;
  }
}

/** The kernel's count of connections dropped because a listener's accept queue was full (all listeners). */
function listenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const names = lines.find((l) => l.startsWith('TcpExt:'))?.split(' ') ?? [];
  const values = lines.filter((l) => l.startsWith('TcpExt:'))[1]?.split(' ') ?? [];
  return Number(values[names.indexOf('ListenOverflows')] ?? 0);
}

/** Open file descriptors of a process (sockets, mostly). */
const openFds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

async function main() {
  const cliPath = await ensureTemporalCli({ log });
  const server = await startDevServer({ cliPath, headless: true, log: () => undefined });
  const name = `vigil_bench_idle_${Date.now()}`;
  const admin = postgres(PG_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  const children: ChildProcess[] = [];
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'vigil-bench-idle-'));
  try {
    const database = await openDatabase({ url, poolMax: 8 });
    await database.migrate();
    const { account } = await createAccount(database.db, { name: 'bench' });
    // Enrollment: the first agents through the real registration, the rest as the same rows in bulk (registering
    // 10,000 one by one takes minutes on a shared machine and is not what this bench measures).
    const bar = progress('enroll', AGENTS);
    const tokens: string[] = [];
    const { token: enrollToken } = await createEnrollmentToken(
      database.db,
      { accountId: account.id, actor: 'bench' },
      { expiresInHours: 1 },
    );
    const registered = Math.min(AGENTS, 100);
    for (let i = 0; i < registered; i++) {
      const outcome = await registerAgent(database.db, {
        enrollmentToken: enrollToken,
        hostname: `idle-${i}`,
        osFamily: 'linux',
        osVersion: 'Ubuntu 22.04',
        agentVersion: 'bench',
        executor: 'simulate',
        ips: [],
      });
      if (!outcome.ok) throw new Error(`registration refused: ${outcome.reason}`);
      tokens.push(outcome.agentToken);
      bar.tick();
    }
    const now = new Date();
    for (let from = registered; from < AGENTS; from += 1000) {
      const batch = Array.from({ length: Math.min(1000, AGENTS - from) }, (_, k) => from + k);
      const rows = await database.db
        .insert(assets)
        .values(
          batch.map((i) => ({
            accountId: account.id,
            instanceId: `idle-${i}`,
            name: `idle-${i}`,
            hostname: `idle-${i}`,
            osFamily: 'linux' as const,
            osVersion: 'Ubuntu 22.04',
            agentStatus: 'online' as const,
            lastSeenAt: now,
          })),
        )
        .returning({ id: assets.id });
      const fresh = rows.map(() => `${AGENT_TOKEN_PREFIX}${randomToken(TOKEN_SECRET_LENGTH)}`);
      await database.db.insert(agents).values(
        rows.map((r, k) => ({
          accountId: account.id,
          assetId: r.id,
          tokenHash: hashToken(fresh[k] ?? ''),
          version: 'bench',
          hostname: `idle-${batch[k]}`,
          executor: 'simulate' as const,
          lastHeartbeatAt: now,
          registeredAt: now,
        })),
      );
      tokens.push(...fresh);
      for (let k = 0; k < rows.length; k++) bar.tick();
    }
    bar.done();
    // Enrolling takes minutes on a busy machine: the fleet was heard from just now, as an idle fleet would have been
    // (else the API's first sweep marks it offline and the bench measures 10,000 agents coming back at once).
    const heard = new Date();
    await database.db.update(assets).set({ lastSeenAt: heard, agentStatus: 'online' });
    await database.db.update(agents).set({ lastHeartbeatAt: heard });
    await database.close();
    const tokensFile = path.join(tmp, 'tokens');
    await writeFile(tokensFile, `${tokens.join('\n')}\n`);

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // IDLE_FLEET_HEAP_DIR: the API writes a heap snapshot there at the end of the window (for finding what a poll holds).
    const heapDir = process.env.IDLE_FLEET_HEAP_DIR;
    const heapFlags = heapDir ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${heapDir}`] : [];
    // IDLE_FLEET_CPU_PROF_DIR: the API writes a CPU profile there when it stops (where an idle poll's CPU goes).
    const profDir = process.env.IDLE_FLEET_CPU_PROF_DIR;
    if (profDir) heapFlags.push('--cpu-prof', `--cpu-prof-dir=${profDir}`);
    // IDLE_FLEET_API_NODE_FLAGS: more node/V8 flags for the API process (space-separated), to measure heap settings.
    heapFlags.push(...(process.env.IDLE_FLEET_API_NODE_FLAGS ?? '').split(' ').filter(Boolean));
    const memoryFile = path.join(tmp, 'memory.json');
    const probe = path.join(projectRoot, 'bench/memory-probe.mjs');
    // --compiled: the built API (`npm run build`, dist/api/main.js) under plain node, as the image runs it; tsx's
    // loader, transformed sources and source maps are otherwise part of the RSS measured. The probe is plain JS.
    const apiArgs = COMPILED
      ? ['--import', probe, path.join(projectRoot, 'dist/api/main.js')]
      : ['--import', 'tsx', '--import', probe, path.join(projectRoot, 'api/main.ts')];
    const api = spawn(process.execPath, [...heapFlags, ...apiArgs], {
      env: {
        ...process.env,
        VIGIL_BENCH_MEMORY_FILE: memoryFile,
        NODE_ENV: 'production',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: url,
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: server.namespace,
        VIGIL_MASTER_KEY: BENCH_MASTER_KEY,
        VIGIL_TASK_QUEUE_PREFIX: 'bench-idle',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(api);
    await waitFor(async () => {
      try {
        const res = await request(`${base}/healthz`);
        await res.body.dump();
        return res.statusCode < 500 ? true : undefined;
      } catch {
        return undefined;
      }
    });
    const apiPid = api.pid ?? 0;
    const startRss = sample(apiPid).rss;
    await new Promise((r) => setTimeout(r, 1500));
    const startMemory = memoryReport(memoryFile);
    // The API's database connections (pool, LISTEN connection).
    const pgConnections = async () => {
      const [row] = await admin<
        { n: number }[]
      >`select count(*)::int as n from pg_stat_activity where datname = ${name}`;
      return row?.n ?? 0;
    };

    // The client runs in its own process with enough file descriptors for every socket.
    const fleet = spawn(
      'sh',
      [
        '-c',
        'ulimit -n "$(ulimit -Hn)"; exec "$@"',
        'sh',
        process.execPath,
        '--import',
        'tsx',
        path.join(projectRoot, 'bench/idle-fleet.ts'),
        '--client',
        base,
        tokensFile,
        '--wait',
        String(WAIT),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(fleet);
    let counts = {
      waiting: 0,
      answered: 0,
      errors: 0,
      jobs: 0,
      lastError: '',
      errorKinds: {} as Record<string, number>,
    };
    let buffered = '';
    fleet.stdout?.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      const last = lines.at(-1);
      if (last) counts = JSON.parse(last) as typeof counts;
    });

    // Every poll has reached the API (the first round answers at once or waits), then one more wait for warm-up.
    const rampStarted = Date.now();
    let peakRamp = 0;
    await waitFor(async () => {
      peakRamp = Math.max(peakRamp, sample(apiPid).rss);
      return counts.waiting + counts.answered >= AGENTS && counts.waiting >= AGENTS * 0.99 ? true : undefined;
    }, 300_000);
    const rampMs = Date.now() - rampStarted;
    log(`all ${AGENTS} polls waiting after ${rampMs} ms; settling ${WAIT} s`);
    const settleUntil = Date.now() + WAIT * 1000;
    while (Date.now() < settleUntil) {
      peakRamp = Math.max(peakRamp, sample(apiPid).rss);
      await new Promise((r) => setTimeout(r, 500));
    }

    const answeredBefore = counts.answered;
    const errorsBefore = counts.errors;
    const kindsBefore = counts.errorKinds;
    const overflowsBefore = listenOverflows();
    const first = sample(apiPid);
    const t0 = performance.now();
    const rss: number[] = [];
    const waiting: number[] = [];
    const windowBar = progress('idle', SECONDS);
    for (let s = 0; s < SECONDS; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      rss.push(sample(apiPid).rss);
      waiting.push(counts.waiting);
      windowBar.tick();
    }
    windowBar.done();
    const last = sample(apiPid);
    const wallS = (performance.now() - t0) / 1000;
    const endMemory = memoryReport(memoryFile);
    const fds = openFds(apiPid);
    const dbConnections = await pgConnections();
    if (heapDir) {
      api.kill('SIGUSR2');
      // Writing a snapshot of a heap this size takes a while on a busy machine.
      await new Promise((r) => setTimeout(r, 90_000));
    }
    const answered = counts.answered - answeredBefore;
    process.stdout.write(
      `${JSON.stringify(
        {
          bench: 'idle-fleet',
          database: 'postgres',
          apiProcess: COMPILED ? 'dist/api/main.js (node)' : 'api/main.ts (tsx)',
          agents: AGENTS,
          waitSeconds: WAIT,
          windowSeconds: Math.round(wallS),
          api: {
            rssMiB: {
              beforePolls: mib(startRss),
              peakDuringRamp: mib(peakRamp),
              windowStart: mib(first.rss),
              windowMax: mib(Math.max(...rss)),
              windowEnd: mib(last.rss),
            },
            memoryMiB: { beforePolls: startMemory, windowEnd: endMemory },
            cpuPercentOfOneCore: Math.round(((last.cpu - first.cpu) / wallS) * 1000) / 10,
            rampMs,
            openFds: fds,
            dbConnections,
          },
          polls: {
            waitingMin: Math.min(...waiting),
            answeredPerSecond: Math.round((answered / wallS) * 10) / 10,
            errors: counts.errors - errorsBefore,
            errorKinds: Object.fromEntries(
              Object.entries(counts.errorKinds)
                .map(([kind, n]) => [kind, n - (kindsBefore[kind] ?? 0)])
                .filter(([, n]) => Number(n) > 0),
            ),
            errorsDuringRamp: errorsBefore,
            lastError: counts.lastError || undefined,
          },
          // Machine-wide (other processes' listeners count too): connections the kernel dropped for a full accept queue.
          listenOverflowsInWindow: listenOverflows() - overflowsBefore,
          loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    for (const c of children.reverse()) {
      c.kill('SIGTERM');
      if (c.exitCode === null) await new Promise((r) => c.once('exit', r));
    }
    await rm(tmp, { recursive: true, force: true });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await server.stop();
  }
}

const clientAt = args.indexOf('--client');
const run = clientAt >= 0 ? client(args[clientAt + 1] ?? '', args[clientAt + 2] ?? '') : main();
run.catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
