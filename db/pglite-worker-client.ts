import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { messages, type QueryOptions, type Results, type Transaction } from '@electric-sql/pglite';
import { query as template } from '@electric-sql/pglite/template';

/**
 * The embedded database on a thread of its own (db/pglite-worker.ts), behind the part of PGlite's client that Vigil
 * and Drizzle use: `query`, `exec`, `transaction` (with `query`, `sql`, `exec`, `rollback` and `closed` on the
 * transaction) and `close`.
 *
 * PGlite is Postgres compiled to WebAssembly and runs on the thread that calls it. In the API's process every
 * statement's parsing, planning and execution ran between the API's requests, one core doing both while the other
 * waited; here the API thread only sends statements and receives rows (structured clones), and the database works on
 * the other core meanwhile.
 *
 * What differs from calling PGlite in-process, and why it is safe for Vigil:
 * - Options cross as data: `rowMode` and `paramTypes` as they are; a `parsers` map's types are returned as text and
 *   its functions run here, on each such column (Drizzle's timestamp and interval parsers keep the text). Options
 *   holding other functions (serializers, notice callbacks) or blobs are refused: nothing in Vigil passes them.
 * - Errors are rebuilt here: a database error is PGlite's `DatabaseError` with its fields (code, detail,
 *   constraint …) and the statement, parameters and options PGlite's own `query` puts on it.
 * - `listen` is not offered: the embedded deployment finds new agent jobs by probing (services/agents).
 * - If the thread dies, every waiting and later call fails with the reason; nothing is retried, since a statement
 *   may or may not have run.
 */

/** What the API thread asks (`id` pairs the answer with its call; `tx`, a statement's open transaction). */
export type Request = { id: number } & Ask;

/** A request without its id. */
export type Ask =
  | {
      op: 'query';
      sql: string;
      params: unknown[];
      rowMode?: 'array' | 'object';
      paramTypes?: number[];
      textTypes?: number[];
      tx?: number;
    }
  | { op: 'exec'; sql: string; tx?: number }
  | { op: 'begin' }
  | { op: 'rollback'; tx: number }
  | { op: 'end'; tx: number; commit: boolean }
  | { op: 'close' };

/** An error as it crosses threads: the rest is rebuilt on this side. */
export interface WorkerError {
  /** A PGlite DatabaseError (Postgres's own error, with its SQLSTATE in `code`). */
  database: boolean;
  message: string;
  stack?: string;
  fields: Record<string, unknown>;
}

export type Reply = { id: number } & ({ ok: true; value: unknown } | { ok: false; error: WorkerError });

/** The worker's start: its data folder and Postgres settings (`workerData`). */
export interface WorkerStart {
  vigilPglite: true;
  dataDir: string;
  settings: string[];
}

type Parser = (value: string, typeId: number) => unknown;

/** The options this client can carry to the worker; anything else holds functions it cannot. */
const CARRIED_OPTIONS = new Set(['rowMode', 'parsers', 'paramTypes']);

export class PgliteWorkerClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  #nextId = 1;
  /** Why the worker is gone, once it is: every call fails with it. */
  #gone: Error | null = null;
  #closing: Promise<void> | null = null;
  /** Settles once the database answers (or fails to open). */
  readonly waitReady: Promise<void>;

  /** Takes a started worker (`startPgliteWorker`). */
  constructor(worker: Worker) {
    this.#worker = worker;
    this.waitReady = new Promise<void>((resolve, reject) => {
      this.#pending.set(0, { resolve: () => resolve(), reject });
    });
    this.#worker.on('message', (reply: Reply) => {
      const call = this.#pending.get(reply.id);
      if (!call) return;
      this.#pending.delete(reply.id);
      if (reply.ok) call.resolve(reply.value);
      else call.reject(rebuildError(reply.error));
    });
    this.#worker.on('error', (err) => this.#stop(err));
    this.#worker.on('exit', (code) =>
      this.#stop(new Error(`the embedded database's thread stopped (exit code ${code})`)),
    );
  }

  /** Calls sent and not yet answered (for tests). */
  get pendingCalls(): number {
    return this.#pending.size;
  }

  get closed(): boolean {
    return this.#gone !== null;
  }

  query<T>(sql: string, params: unknown[] = [], options?: QueryOptions): Promise<Results<T>> {
    return this.#query<T>(sql, params, options, undefined);
  }

  async exec(sql: string, options?: QueryOptions): Promise<Results[]> {
    noOptions(options, sql);
    return (await this.#call({ op: 'exec', sql })) as Results[];
  }

  /**
   * PGlite's `transaction`: the callback's statements run in one transaction, committed when it returns and rolled
   * back when it throws (or calls `rollback`). Other statements wait in the worker until it ends, as they do in PGlite.
   */
  async transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T> {
    const id = (await this.#call({ op: 'begin' })) as number;
    let closed = false;
    const open = () => {
      if (closed) throw new Error('Transaction is closed');
    };
    const tx: Transaction = {
      query: async <R>(sql: string, params?: unknown[], options?: QueryOptions) => {
        open();
        return this.#query<R>(sql, params ?? [], options, id);
      },
      sql: async <R>(strings: TemplateStringsArray, ...values: unknown[]) => {
        open();
        const t = template(strings, ...values);
        return this.#query<R>(t.query, t.params, undefined, id);
      },
      exec: async (sql: string, options?: QueryOptions) => {
        open();
        noOptions(options, sql);
        return (await this.#call({ op: 'exec', sql, tx: id })) as Results[];
      },
      rollback: async () => {
        open();
        await this.#call({ op: 'rollback', tx: id });
        closed = true;
      },
      listen: () => Promise.reject(new Error('listen is not offered by the embedded database')),
      get closed() {
        return closed;
      },
    };
    let result: T;
    try {
      result = await callback(tx);
    } catch (err) {
      closed = true;
      await this.#call({ op: 'end', tx: id, commit: false });
      throw err;
    }
    closed = true;
    await this.#call({ op: 'end', tx: id, commit: true });
    return result;
  }

  /** Ends the thread without closing the database (a start that failed). */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }

  /** Closes the database (its files written) and ends the thread. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#gone) return;
      await this.#call({ op: 'close' });
      await this.#worker.terminate();
    })();
    return this.#closing;
  }

  async #query<T>(
    sql: string,
    params: unknown[],
    options: QueryOptions | undefined,
    tx: number | undefined,
  ): Promise<Results<T>> {
    carried(options, sql);
    const parsers = options?.parsers as Record<number, Parser> | undefined;
    const textTypes = parsers ? Object.keys(parsers).map(Number) : undefined;
    let result: Results<T>;
    try {
      result = (await this.#call({
        op: 'query',
        sql,
        params,
        ...(options?.rowMode ? { rowMode: options.rowMode } : {}),
        ...(options?.paramTypes ? { paramTypes: options.paramTypes } : {}),
        ...(textTypes ? { textTypes } : {}),
        ...(tx === undefined ? {} : { tx }),
      })) as Results<T>;
    } catch (err) {
      // As PGlite's own query does: the statement, its parameters and options on the database's error.
      if (err instanceof messages.DatabaseError)
        Object.assign(err, { query: sql, params, queryOptions: options });
      throw err;
    }
    if (parsers) applyParsers(result, parsers, options?.rowMode === 'array');
    return result;
  }

  #call(request: Ask): Promise<unknown> {
    if (this.#gone) return Promise.reject(this.#gone);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      // A parameter that cannot cross (a function, say) throws here: the call fails and is not left waiting.
      this.#worker.postMessage({ ...request, id });
      this.#pending.set(id, { resolve, reject });
    });
  }

  /** The worker is gone: every waiting call fails with the reason, and so does every later one. */
  #stop(reason: Error) {
    this.#gone ??= reason;
    for (const call of this.#pending.values()) call.reject(this.#gone);
    this.#pending.clear();
  }
}

/** Refuses options the worker cannot be given (they hold functions). */
function carried(options: QueryOptions | undefined, sql: string) {
  for (const key of Object.keys(options ?? {}))
    if (!CARRIED_OPTIONS.has(key))
      throw new Error(`the embedded database's thread does not take the option ${key} (${sql.slice(0, 60)})`);
}

/** `exec` takes no options through the worker (nothing in Vigil passes any). */
function noOptions(options: QueryOptions | undefined, sql: string) {
  const [key] = Object.keys(options ?? {});
  if (key !== undefined)
    throw new Error(`the embedded database's thread does not take the option ${key} (${sql.slice(0, 60)})`);
}

/** Runs the caller's parsers on the columns the worker returned as text. */
function applyParsers(result: Results<unknown>, parsers: Record<number, Parser>, arrays: boolean) {
  result.fields.forEach((field, i) => {
    const parse = parsers[field.dataTypeID];
    if (!parse) return;
    for (const row of result.rows as Record<string | number, unknown>[]) {
      const key = arrays ? i : field.name;
      const value = row[key];
      if (typeof value === 'string') row[key] = parse(value, field.dataTypeID);
    }
  });
}

function rebuildError(error: WorkerError): Error {
  const rebuilt = error.database
    ? new messages.DatabaseError(error.message, Number(error.fields.length ?? 0), 'error')
    : new Error(error.message);
  Object.assign(rebuilt, error.fields);
  if (error.stack) rebuilt.stack = error.stack;
  return rebuilt;
}

/**
 * The thread's young generation: its objects are each statement's rows on their way out (garbage once cloned), and
 * V8's default lets it grow to several times this before collecting.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8 };

/**
 * Starts the worker thread: the compiled `pglite-worker.js` beside this file; or, where this file is TypeScript run
 * through tsx (`npm start`, tests), `pglite-worker.ts` bundled by esbuild into one ES module (packages imported by
 * their resolved file URLs) and started from a data: URL. Registering tsx in the thread instead cost the process
 * ~50–85 MB more RSS (its module hooks and transforms a second time), measured at the embedded database's start.
 */
export async function startPgliteWorker(start: WorkerStart): Promise<Worker> {
  const here = import.meta.url;
  const options = { workerData: start, resourceLimits: WORKER_LIMITS };
  if (!here.endsWith('.ts')) return new Worker(new URL('./pglite-worker.js', here), options);
  const { build } = await import('esbuild');
  const bundled = await build({
    entryPoints: [fileURLToPath(new URL('./pglite-worker.ts', here))],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'packages-by-url',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) => ({
            path: import.meta.resolve(args.path),
            external: true,
          }));
        },
      },
    ],
  });
  const code = bundled.outputFiles[0]?.text;
  if (code === undefined) throw new Error('esbuild produced no bundle of db/pglite-worker.ts');
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), options);
}
