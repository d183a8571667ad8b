import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../platform/config.js';

/**
 * Memory of the embedded system through a fuzz run (issue 17 item 3: "the embedded process stays under 1 GB RSS
 * through a long fuzz run"). Runs `test/fuzz/run.sh` as CI does (FUZZ_QUIET=1, FUZZ_SECONDS): it starts `npm start`
 * on a scratch data folder and fuzzes it for about 1.5 × FUZZ_SECONDS (agent and admission rounds get a quarter
 * each). Every `--interval` seconds this samples the RSS (/proc) of each process of that `npm start` — npm, the tsx
 * launcher, Vigil's Node process, the workflow bundler while it lives, the Temporal dev server (a separate Go binary,
 * reported apart from the Node total) — and the JS heap of each Node process (`bench/memory-probe.mjs`, preloaded
 * through NODE_OPTIONS). Prints JSON: start (the first sample once fuzzing starts), peak and end RSS per process,
 * with heap used beside them, the peak during start-up, and the same for all Node processes together.
 *
 * `npx tsx bench/embedded-memory.ts [--fuzz-seconds 600] [--interval 5] [--snapshots 240,840]
 *   [--snapshot-dir DIR] [--samples FILE]`
 * --snapshots: seconds after fuzzing starts at which Vigil's Node process writes a heap snapshot (SIGUSR2) into
 * --snapshot-dir, for comparing two of them in Chrome DevTools (a snapshot costs CPU and some RSS of its own).
 */
const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const FUZZ_SECONDS = Number(arg('fuzz-seconds') ?? 600);
const INTERVAL_MS = Number(arg('interval') ?? 5) * 1000;
const SNAPSHOTS = (arg('snapshots') ?? '').split(',').filter(Boolean).map(Number);
const SAMPLES_FILE = arg('samples');

const log = (l: string) => process.stderr.write(`${l}\n`);
const mib = (b: number) => Math.round(b / 2 ** 20);

type Role =
  | 'npm'
  | 'tsx launcher'
  | 'vigil'
  | 'workflow bundler'
  | 'esbuild (tsx)'
  | 'temporal dev server'
  | 'other node';

/** What a process of the tree is, from its command line; undefined for the fuzzer's own (bash, curl, Python). */
function roleOf(argv: readonly string[]): Role | undefined {
  const [exe = '', ...rest] = argv;
  const line = rest.join(' ');
  if (path.basename(exe) === 'temporal') return 'temporal dev server';
  // npm sets its process title to `npm start` (one string in /proc/<pid>/cmdline).
  if (/^npm( |$)/.test(path.basename(exe))) return 'npm';
  // tsx's transform service: one per Node process that loads tsx.
  if (path.basename(exe) === 'esbuild') return 'esbuild (tsx)';
  if (!/(^|\/)node$/.test(exe)) return undefined;
  if (/npm-cli\.js|\/bin\/npm\b/.test(line)) return 'npm';
  if (/tsx\/dist\/cli\.mjs|\/\.bin\/tsx\b/.test(line)) return 'tsx launcher';
  if (/build-bundle\.(ts|js)/.test(line)) return 'workflow bundler';
  if (/platform\/start\.(ts|js)/.test(line)) return 'vigil';
  return 'other node';
}

function children(): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone between the listing and the read
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    byParent.set(ppid, [...(byParent.get(ppid) ?? []), Number(name)]);
  }
  return byParent;
}

function descendants(root: number): number[] {
  const byParent = children();
  const out: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const c of byParent.get(pid) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

interface Sample {
  /** Which sampling round (all processes sampled at once). */
  round: number;
  /** Seconds since fuzzing started; negative during start-up. */
  t: number;
  pid: number;
  role: Role;
  rss: number;
  heapUsed?: number;
  heapTotal?: number;
  external?: number;
  arrayBuffers?: number;
}

function sampleProcess(
  pid: number,
  at: { round: number; t: number },
  memoryFile: (pid: number) => string,
): Sample | undefined {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const role = roleOf(argv);
    if (!role) return undefined;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
    const sample: Sample = { ...at, pid, role, rss };
    try {
      const m = JSON.parse(readFileSync(memoryFile(pid), 'utf8')) as NodeJS.MemoryUsage;
      Object.assign(sample, {
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
      });
    } catch {
      // Not a Node process, or its probe has not written yet: RSS only.
    }
    return sample;
  } catch {
    return undefined; // exited between the listing and the read
  }
}

/** Seconds after a heap snapshot during which its own memory (tens of MB, partly kept by malloc) shows in RSS. */
const SNAPSHOT_SHADOW_SECONDS = 30;

const peakRss = (list: readonly Sample[]) =>
  list.length ? mib(Math.max(...list.map((s) => s.rss))) : undefined;

/**
 * Start / peak / end of each process's RSS and heap over the samples taken once fuzzing started, and the peak
 * during start-up (the workflow bundler lives only then); with heap snapshots, also the peak outside the seconds
 * after each.
 */
function summarise(samples: readonly Sample[], snapshotsAt: readonly number[]) {
  const byPid = new Map<number, Sample[]>();
  for (const s of samples) byPid.set(s.pid, [...(byPid.get(s.pid) ?? []), s]);
  const shadowed = (s: Sample) => snapshotsAt.some((at) => s.t >= at && s.t < at + SNAPSHOT_SHADOW_SECONDS);
  const processes = [...byPid.values()].map((all) => {
    const startup = all.filter((s) => s.t < 0);
    const list = all.filter((s) => s.t >= 0);
    const only = all[0] as Sample;
    if (!list.length) return { role: only.role, pid: only.pid, startupPeakRssMiB: peakRss(startup) };
    const first = list[0] as Sample;
    const last = list[list.length - 1] as Sample;
    const peak = list.reduce((a, b) => (b.rss > a.rss ? b : a));
    const clear = list.filter((s) => !shadowed(s));
    const heapPeak = Math.max(...list.map((s) => s.heapUsed ?? 0));
    const heap = (s: Sample) => (s.heapUsed === undefined ? undefined : mib(s.heapUsed));
    return {
      role: first.role,
      pid: first.pid,
      seenSeconds: [first.t, last.t],
      startupPeakRssMiB: peakRss(startup),
      rssMiB: {
        start: mib(first.rss),
        peak: mib(peak.rss),
        peakAtSeconds: peak.t,
        ...(snapshotsAt.length ? { peakOutsideSnapshots: mib(Math.max(0, ...clear.map((s) => s.rss))) } : {}),
        end: mib(last.rss),
      },
      heapUsedMiB: heapPeak ? { start: heap(first), peak: mib(heapPeak), end: heap(last) } : undefined,
      endMiB:
        last.heapTotal === undefined
          ? undefined
          : {
              heapTotal: mib(last.heapTotal),
              external: mib(last.external ?? 0),
              arrayBuffers: mib(last.arrayBuffers ?? 0),
              outsideHeap: mib(last.rss - last.heapTotal),
            },
    };
  });
  // Every Node process of `npm start` at each instant (npm and tsx included): what the machine pays for Node.
  const nodeAt = new Map<number, { t: number; rss: number }>();
  for (const s of samples)
    if (s.role !== 'temporal dev server' && s.role !== 'esbuild (tsx)')
      nodeAt.set(s.round, { t: s.t, rss: (nodeAt.get(s.round)?.rss ?? 0) + s.rss });
  const startupTotals = [...nodeAt.values()].filter((v) => v.t < 0).map((v) => v.rss);
  const totals = [...nodeAt.values()].filter((v) => v.t >= 0).map((v) => v.rss);
  const nodeTotal = totals.length
    ? {
        startupPeak: startupTotals.length ? mib(Math.max(...startupTotals)) : undefined,
        start: mib(totals[0] as number),
        peak: mib(Math.max(...totals)),
        end: mib(totals[totals.length - 1] as number),
      }
    : undefined;
  return { processes, nodeTotalRssMiB: nodeTotal };
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vigil-embedded-memory-'));
  const snapshotDir = arg('snapshot-dir') ?? tmp;
  const memoryFile = (pid: number) => path.join(tmp, `memory-${pid}.json`);
  const probe = pathToFileURL(path.join(projectRoot, 'bench/memory-probe.mjs')).href;
  const nodeOptions = [
    process.env.NODE_OPTIONS ?? '',
    `--import ${probe}`,
    ...(SNAPSHOTS.length ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`] : []),
  ].join(' ');
  const fuzz = spawn('bash', ['test/fuzz/run.sh'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      FUZZ_QUIET: '1',
      FUZZ_SECONDS: String(FUZZ_SECONDS),
      NODE_OPTIONS: nodeOptions.trim(),
      VIGIL_BENCH_MEMORY_FILE: path.join(tmp, 'memory-%p.json'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const root = fuzz.pid;
  if (root === undefined) throw new Error('could not start test/fuzz/run.sh');

  const samples: Sample[] = [];
  const launchedAt = Date.now();
  let fuzzStartedAt: number | undefined;
  let total = '';
  const snapshotsTaken: number[] = [];
  let round = 0;
  const sampleAll = () => {
    // Seconds since launch until fuzzing starts, rebased below once it does.
    const t = Math.round((Date.now() - (fuzzStartedAt ?? launchedAt)) / 1000);
    round++;
    for (const pid of descendants(root)) {
      const s = sampleProcess(pid, { round, t }, memoryFile);
      if (s) samples.push(s);
    }
    const vigil = samples.findLast((s) => s.role === 'vigil' && s.round === round);
    const due =
      fuzzStartedAt === undefined
        ? undefined
        : SNAPSHOTS.find((at) => at <= t && !snapshotsTaken.includes(at));
    if (vigil && due !== undefined) {
      snapshotsTaken.push(due);
      log(`heap snapshot of pid ${vigil.pid} at ${t} s into ${snapshotDir}`);
      process.kill(vigil.pid, 'SIGUSR2');
    }
    if (vigil) log(`t=${t}s vigil rss ${mib(vigil.rss)} MiB heap ${mib(vigil.heapUsed ?? 0)} MiB`);
  };
  const timer = setInterval(sampleAll, INTERVAL_MS);
  const stopFuzz = () => {
    // run.sh's EXIT trap stops the whole `npm start` process group.
    if (fuzz.exitCode === null) fuzz.kill('SIGTERM');
  };
  process.on('SIGINT', stopFuzz);
  process.on('SIGTERM', stopFuzz);

  for await (const line of createInterface({ input: fuzz.stdout })) {
    log(line);
    if (fuzzStartedAt === undefined && line.startsWith('== fuzz round')) {
      fuzzStartedAt = Date.now();
      const startupSeconds = Math.round((fuzzStartedAt - launchedAt) / 1000);
      for (const s of samples) s.t -= startupSeconds + 1;
      sampleAll();
    }
    // The last line before run.sh stops Vigil (its processes go one by one from here): no more samples.
    if (line.startsWith('== total:')) {
      clearInterval(timer);
      total = line;
    }
  }
  clearInterval(timer);
  const exitCode = await new Promise<number | null>((resolve) =>
    fuzz.exitCode !== null ? resolve(fuzz.exitCode) : fuzz.on('exit', (code) => resolve(code)),
  );
  if (SAMPLES_FILE) writeFileSync(SAMPLES_FILE, samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
  const [, requests, fives] = /(\d+) requests, (\d+) with 5xx/.exec(total) ?? [];
  const report = {
    fuzzSeconds: FUZZ_SECONDS,
    sampledSeconds: samples.length ? (samples[samples.length - 1] as Sample).t : 0,
    intervalSeconds: INTERVAL_MS / 1000,
    fuzzExitCode: exitCode,
    requests: requests === undefined ? undefined : Number(requests),
    serverErrors: fives === undefined ? undefined : Number(fives),
    heapSnapshotsAtSeconds: snapshotsTaken,
    ...summarise(samples, snapshotsTaken),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  for (const f of readdirSync(tmp)) if (f.startsWith('memory-')) rmSync(path.join(tmp, f), { force: true });
  // Snapshots written into the scratch folder stay there for a look.
  if (!readdirSync(tmp).length) rmSync(tmp, { recursive: true, force: true });
  else log(`heap snapshots in ${snapshotDir}`);
}

await main();
