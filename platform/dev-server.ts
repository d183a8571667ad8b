/**
 * Runs the Temporal dev server (`temporal server start-dev`) as a child process: picks free ports,
 * registers Vigil's search attributes, waits until the frontend really serves the namespace, and
 * tears the whole process group down on stop() (or, as a safety net, when this process exits).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';

import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';

import { vigilSearchAttributes } from '../workflows/search-attributes.js';
import { errorMessage } from '../domain/errors.js';

export interface DevServerOptions {
  /** Absolute path to the `temporal` CLI (see ensureTemporalCli). */
  cliPath: string;
  /** gRPC frontend port; 0/undefined picks a free port. */
  port?: number;
  /** Web UI port; 0/undefined picks a free port. Ignored when headless. */
  uiPort?: number;
  /** Disable the Web UI. */
  headless?: boolean;
  /** SQLite file for persistent state; undefined keeps everything in memory. */
  dbFile?: string;
  /** Namespace to create and wait for (default 'default'). */
  namespace?: string;
  /** Receives lifecycle lines and the server's own warn/error log lines (default console.error). */
  log?: (line: string) => void;
  /** How long to wait for the server to become ready (default 60 000 ms). */
  startupTimeoutMs?: number;
  /** Extra arguments appended to `temporal server start-dev`. */
  extraArgs?: string[];
}

export interface DevServer {
  /** host:port of the gRPC frontend. */
  address: string;
  uiUrl: string | null;
  namespace: string;
  pid: number;
  /** Stops the server (SIGTERM to its process group, SIGKILL after 8 s); resolves once it has exited. */
  stop(): Promise<void>;
}

const host = '127.0.0.1';
const defaultStartupTimeoutMs = 60_000;
const stopGraceMs = 8_000;
const stderrTailLines = 40;
/** The same server log message is forwarded at most once per this window. */
const logRepeatWindowMs = 30_000;
/** Warnings the dev server prints on every healthy start; forwarding them would only be noise. */
const benignServerWarnings = ['Cluster Id in Cluster Metadata config is not a valid uuid'];

/** Search attribute types as `temporal server start-dev --search-attribute` spells them. */
const cliSearchAttributeTypes: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/**
 * Dynamic config for the dev server. Updates (incl. async-accepted) and worker-versioning workflow
 * APIs are on. Nothing is needed for the Web UI's write actions (cancel, terminate, signal, reset…):
 * the UI the CLI embeds enables them by default.
 */
const dynamicConfig: Record<string, unknown> = {
  'frontend.enableUpdateWorkflowExecution': true,
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted': true,
  'frontend.workerVersioningWorkflowAPIs': true,
};

const sqlitePragmas = ['journal_mode=WAL', 'synchronous=NORMAL'];

export async function findFreePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.unref();
    server.once('error', rej);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        rej(new Error(`unexpected listen address ${String(address)}`));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? rej(err) : res(port)));
    });
  });
}

async function assertPortFree(port: number, option: string): Promise<void> {
  await new Promise<void>((res, rej) => {
    const server = createServer();
    server.unref();
    server.once('error', (err) => {
      if (isErrnoException(err) && err.code === 'EADDRINUSE') {
        rej(
          new Error(`Cannot start the Temporal dev server: ${option} ${port} on ${host} is already in use.`),
        );
      } else {
        rej(err);
      }
    });
    server.listen(port, host, () => server.close((err) => (err ? rej(err) : res())));
  });
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const log = opts.log ?? ((line: string) => console.error(line));
  // A port we picked can be taken by someone else before the server binds it: retry with new ones.
  const portsArePicked = !opts.port || (!opts.headless && !opts.uiPort);
  const attempts = portsArePicked ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts, log);
    } catch (err) {
      if (err instanceof PortInUseError && attempt < attempts) {
        log(`[temporal-server] ${err.message}; retrying with other ports`);
        continue;
      }
      throw err;
    }
  }
}

class PortInUseError extends Error {
  override name = 'PortInUseError';
}

interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

async function startOnce(opts: DevServerOptions, log: (line: string) => void): Promise<DevServer> {
  const namespace = opts.namespace ?? 'default';
  const startupTimeoutMs = opts.startupTimeoutMs ?? defaultStartupTimeoutMs;
  // Explicit ports are checked up front: a clear error instead of a server that dies on bind
  // (and a readiness probe stuck talking to whatever else holds the port).
  if (opts.port) await assertPortFree(opts.port, 'port');
  if (!opts.headless && opts.uiPort) await assertPortFree(opts.uiPort, 'uiPort');
  const port = opts.port || (await findFreePort());
  let uiPort: number | undefined;
  if (!opts.headless) {
    uiPort = opts.uiPort || (await findFreePort());
    while (uiPort === port) uiPort = await findFreePort();
  }
  const address = `${host}:${port}`;

  const args = [
    'server',
    'start-dev',
    '--ip',
    host,
    '--port',
    String(port),
    '--namespace',
    namespace,
    '--log-format',
    'json',
    '--log-level',
    'warn',
  ];
  if (uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(uiPort), '--ui-disable-news-fetch');
  if (opts.dbFile !== undefined) {
    const dbFile = resolve(opts.dbFile);
    await mkdir(dirname(dbFile), { recursive: true });
    args.push('--db-filename', dbFile);
    for (const pragma of sqlitePragmas) args.push('--sqlite-pragma', pragma);
  }
  for (const key of vigilSearchAttributes) {
    args.push('--search-attribute', `${key.name}=${cliSearchAttributeTypes[key.type]}`);
  }
  for (const [key, value] of Object.entries(dynamicConfig)) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  args.push(...(opts.extraArgs ?? []));

  const started = Date.now();
  const child = spawn(opts.cliPath, args, {
    detached: process.platform !== 'win32', // own process group, so stop() reaches everything it starts
    stdio: ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
  });

  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((res) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      res(exitInfo);
    });
    child.once('error', (error) => {
      // Spawn failures (ENOENT, EACCES) emit 'error' without 'exit'.
      if (child.pid === undefined) {
        exitInfo = { code: null, signal: null, error };
        res(exitInfo);
      } else {
        log(`[temporal-server] child process error: ${error.message}`);
      }
    });
  });

  const stderrTail: string[] = [];
  const stdoutTail: string[] = [];
  let stopping = false;
  let ready = false;
  const forwarder = new LogForwarder(log);
  if (child.stderr) {
    createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (line) => {
      pushBounded(stderrTail, line);
      if (!stopping) forwarder.handle(line, ready);
    });
  }
  if (child.stdout) {
    // The startup banner; kept only for error reports.
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) =>
      pushBounded(stdoutTail, line),
    );
  }

  const pid = child.pid;
  if (pid === undefined) {
    const info = await exited;
    throw new Error(`Could not start ${opts.cliPath}: ${info.error?.message ?? 'no pid'}`, {
      cause: info.error,
    });
  }
  trackChild(pid, child);

  const describeFailure = (what: string): string => {
    const outputTail = [...stdoutTail, ...stderrTail].slice(-stderrTailLines).join('\n');
    return `Temporal dev server (${opts.cliPath} ${args.join(' ')}) ${what}.${outputTail ? `\nLast output:\n${outputTail}` : ''}`;
  };

  const killNow = async (): Promise<void> => {
    stopping = true;
    if (exitInfo === undefined) {
      signalGroup(pid, child, 'SIGKILL', log);
      await exited;
    }
    untrackChild(pid);
  };

  let customAttributes: Record<string, number>;
  try {
    customAttributes = await waitForReady({
      address,
      namespace,
      deadline: started + startupTimeoutMs,
      exited,
      hasExited: () => exitInfo !== undefined,
    });
  } catch (err) {
    await killNow();
    if (err instanceof EarlyExitError) {
      const info = exitInfo ?? err.info;
      const how = info.signal ? `signal ${info.signal}` : `code ${String(info.code)}`;
      const message = describeFailure(`exited during startup (${how})`);
      if (/address already in use/i.test(stderrTail.join('\n')))
        throw new PortInUseError(message, { cause: err });
      throw new Error(message, { cause: err });
    }
    throw new Error(describeFailure(`was not ready within ${startupTimeoutMs} ms (${errorMessage(err)})`), {
      cause: err,
    });
  }

  const wrongType = vigilSearchAttributes.filter(
    (key) => customAttributes[key.name] !== encodeSearchAttributeIndexedValueType(key.type),
  );
  if (wrongType.length > 0) {
    await killNow();
    throw new Error(
      `Temporal dev server registered search attributes with unexpected types: ${wrongType
        .map(
          (key) =>
            `${key.name} (want ${cliSearchAttributeTypes[key.type]}, got ${String(customAttributes[key.name])})`,
        )
        .join(', ')}. ${opts.dbFile ? `The database ${opts.dbFile} predates a type change; delete it.` : ''}`,
    );
  }

  ready = true;
  const uiUrl = uiPort === undefined ? null : `http://${host}:${uiPort}`;
  log(
    `[temporal-server] ready at ${address} (namespace ${namespace}, pid ${pid}) in ${((Date.now() - started) / 1000).toFixed(1)} s` +
      (uiUrl ? `; UI ${uiUrl}` : '') +
      (opts.dbFile ? `; db ${resolve(opts.dbFile)}` : '; in-memory'),
  );

  void exited.then((info) => {
    if (!stopping) {
      const how = info.signal ? `signal ${info.signal}` : `code ${String(info.code)}`;
      log(`[temporal-server] exited unexpectedly (${how}).\n${stderrTail.slice(-10).join('\n')}`);
      untrackChild(pid);
    }
  });

  let stopPromise: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopPromise ??= (async () => {
      stopping = true;
      if (exitInfo === undefined) {
        signalGroup(pid, child, 'SIGTERM', log);
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          exited.then(() => false),
          new Promise<boolean>((res) => {
            timer = setTimeout(() => res(true), stopGraceMs);
          }),
        ]);
        clearTimeout(timer);
        if (timedOut) {
          log(
            `[temporal-server] pid ${pid} did not exit within ${stopGraceMs} ms of SIGTERM; sending SIGKILL`,
          );
          signalGroup(pid, child, 'SIGKILL', log);
          await exited;
        }
      }
      untrackChild(pid);
    })();
    return stopPromise;
  };

  return { address, uiUrl, namespace, pid, stop };
}

class EarlyExitError extends Error {
  override name = 'EarlyExitError';
  constructor(readonly info: ExitInfo) {
    super('the server process exited');
  }
}

interface ReadinessProbe {
  address: string;
  namespace: string;
  deadline: number;
  exited: Promise<ExitInfo>;
  hasExited: () => boolean;
}

/**
 * Polls the frontend until the namespace is described and every Vigil search attribute is listed.
 * Returns the namespace's custom search attributes (name -> IndexedValueType).
 */
async function waitForReady(probe: ReadinessProbe): Promise<Record<string, number>> {
  const { address, namespace, deadline } = probe;
  const wanted = vigilSearchAttributes.map((key) => key.name);
  let lastError: unknown = new Error('no attempt made');
  // One lazy connection, always closed below: a failed Connection.connect() would leave its channel
  // open. No retry interceptor: this loop retries, and closing a connection while the default
  // interceptor has a retry scheduled throws "Channel has been shut down" from a timer (uncaught).
  // Short reconnect backoff so the frontend is noticed soon after it binds.
  const connection = Connection.lazy({
    address,
    interceptors: [],
    channelArgs: { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 500 },
  });
  const earlyExit = probe.exited.then((info) => {
    throw new EarlyExitError(info);
  });
  // Only ever awaited via Promise.race; this keeps a later exit from being an unhandled rejection.
  earlyExit.catch(() => undefined);

  const attempt = async (): Promise<Record<string, number> | undefined> => {
    const callDeadline = () => Date.now() + Math.max(250, Math.min(3_000, deadline - Date.now()));
    await connection.withDeadline(callDeadline(), () =>
      connection.workflowService.describeNamespace({ namespace }),
    );
    const { customAttributes } = await connection.withDeadline(callDeadline(), () =>
      connection.operatorService.listSearchAttributes({ namespace }),
    );
    const missing = wanted.filter((name) => customAttributes[name] === undefined);
    if (missing.length === 0) return customAttributes;
    lastError = new Error(`search attributes not visible yet: ${missing.join(', ')}`);
    return undefined;
  };

  try {
    while (Date.now() < deadline) {
      if (probe.hasExited()) await earlyExit;
      try {
        const result = await Promise.race([attempt(), earlyExit]);
        if (result !== undefined) return result;
      } catch (err) {
        if (err instanceof EarlyExitError) throw err;
        lastError = err;
      }
      await Promise.race([sleep(100), earlyExit]);
    }
    throw new Error(`last error: ${errorMessage(lastError)}`, { cause: lastError });
  } finally {
    await connection.close();
  }
}

/** Forwards the server's JSON log lines at warn level and above, collapsing repeats. */
class LogForwarder {
  private readonly lastSeen = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly log: (line: string) => void) {}

  /** Before the server is ready, plain-text lines (e.g. CLI usage errors) only go into the failure report. */
  handle(line: string, ready: boolean): void {
    const trimmed = line.trim();
    if (trimmed === '') return;
    let entry: Record<string, unknown> | undefined;
    if (trimmed.startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(trimmed);
        if (typeof parsed === 'object' && parsed !== null) entry = parsed as Record<string, unknown>;
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw err;
        // Not JSON after all: forwarded verbatim below.
      }
    }
    if (entry === undefined) {
      // Plain text on stderr once running (e.g. a Go panic) is always worth seeing.
      if (ready) this.log(`[temporal-server] ${trimmed}`);
      return;
    }
    const level = typeof entry.level === 'string' ? entry.level.toUpperCase() : 'INFO';
    if (!['WARN', 'WARNING', 'ERROR', 'DPANIC', 'PANIC', 'FATAL'].includes(level)) return;
    const msg = typeof entry.msg === 'string' ? entry.msg : trimmed;
    if (benignServerWarnings.some((benign) => msg.startsWith(benign))) return;

    const now = Date.now();
    const seen = this.lastSeen.get(msg);
    if (seen !== undefined && now - seen.at < logRepeatWindowMs) {
      seen.suppressed++;
      return;
    }
    const repeats =
      seen !== undefined && seen.suppressed > 0 ? ` (repeated ${seen.suppressed}x since last shown)` : '';
    this.lastSeen.set(msg, { at: now, suppressed: 0 });

    const details = ['service', 'component', 'namespace', 'Namespace', 'error']
      .filter((key) => entry[key] !== undefined)
      .map((key) => `${key}=${stringify(entry[key])}`)
      .join(' ');
    this.log(`[temporal-server] ${level} ${msg}${details ? ` ${details}` : ''}${repeats}`);
  }
}

function stringify(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function pushBounded(buffer: string[], line: string): void {
  buffer.push(line);
  if (buffer.length > stderrTailLines) buffer.shift();
}

function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

function isErrnoException(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}

/** Signals the child's whole process group (the child itself on Windows). */
function signalGroup(
  pid: number,
  child: ChildProcess,
  signal: NodeJS.Signals,
  log: (line: string) => void,
): void {
  try {
    if (process.platform === 'win32') child.kill(signal);
    else process.kill(-pid, signal);
  } catch (err) {
    if (isErrnoException(err) && err.code === 'ESRCH') return; // Already gone.
    log(`[temporal-server] could not send ${signal} to process group ${pid}: ${errorMessage(err)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Safety net: never leave a dev server behind when this process goes away without stop().

const liveChildren = new Map<number, ChildProcess>();
const forwardedSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let safetyNetInstalled = false;

function killAllLive(): void {
  for (const [pid, child] of liveChildren) {
    signalGroup(pid, child, 'SIGKILL', (line) => console.error(line));
  }
  liveChildren.clear();
}

function onExit(): void {
  killAllLive();
}

function onSignal(signal: NodeJS.Signals): void {
  // If someone else handles this signal, they own shutdown (and may still need the server);
  // the 'exit' hook covers us. Otherwise Node would have died right here: clean up and re-raise.
  if (process.listenerCount(signal) > 1) return;
  killAllLive();
  uninstallSafetyNet();
  process.kill(process.pid, signal);
}

function installSafetyNet(): void {
  if (safetyNetInstalled) return;
  safetyNetInstalled = true;
  process.on('exit', onExit);
  for (const signal of forwardedSignals) process.on(signal, onSignal);
}

function uninstallSafetyNet(): void {
  if (!safetyNetInstalled) return;
  safetyNetInstalled = false;
  process.removeListener('exit', onExit);
  for (const signal of forwardedSignals) process.removeListener(signal, onSignal);
}

function trackChild(pid: number, child: ChildProcess): void {
  liveChildren.set(pid, child);
  installSafetyNet();
}

function untrackChild(pid: number): void {
  liveChildren.delete(pid);
  if (liveChildren.size === 0) uninstallSafetyNet();
}
