import {
  messages,
  PGlite,
  protocol,
  types,
  type QueryOptions,
  type Results,
  type Transaction,
} from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { query as template } from '@electric-sql/pglite/template';

/**
 * PGlite with a cheaper path for the statements Vigil repeats. PGlite's own `query` parses, describes, binds,
 * describes again, executes and syncs as six protocol round trips into the WASM Postgres, has Postgres parse, analyse
 * and plan the text each time, and decodes every result field through a fresh ArrayBuffer copy and a TextDecoder
 * call; it runs on the API's own thread, so all of it is serial. Here a SELECT/INSERT/UPDATE/DELETE/WITH statement is
 * parsed once into a named prepared statement (its parameter and column types kept from one Describe), then each
 * execution is one Bind + Execute + Sync message whose answer is decoded in one pass over the bytes. Parameters are
 * serialized and values parsed with the instance's own serializers and parsers (and any the caller passes), so rows,
 * fields, command tags and errors are those PGlite's `query` returns; anything else (DDL, savepoints, statements with
 * blobs, notice callbacks or explicit parameter types) goes through PGlite's own path unchanged.
 */

/** The most statements kept prepared (least recently used closed first), so varying SQL cannot grow the backend. */
export const MAX_PREPARED_STATEMENTS = 400;
/** Longer statements (bulk inserts with thousands of parameters) are one-offs: not worth a session-long plan. */
const MAX_PREPARED_SQL_LENGTH = 16_384;

/** Statements worth preparing: plain DML and queries, whose result type only changes with the schema. */
const PREPARABLE = /^[\s(]*(?:select|insert|update|delete|with)\b/i;
/**
 * Statements that cannot change a table's shape. Anything else (CREATE, ALTER, DROP, DO, DISCARD, DEALLOCATE …)
 * closes every prepared statement: Postgres re-plans a prepared statement after DDL by itself but refuses one whose
 * result columns changed ("cached plan must not change result type"), and DISCARD/DEALLOCATE drop them under us.
 */
const SCHEMA_PRESERVING =
  /^[\s(]*(?:select|insert|update|delete|with|values|table|savepoint|release|rollback|begin|start|commit|end|set|reset|show|explain|lock|listen|unlisten|notify|analyze|vacuum|copy|truncate)\b/i;

/** Postgres's answer when a prepared statement's result columns changed under it (only after DDL). */
const RESULT_TYPE_CHANGED = '0A000';
/** …and when the statement is gone (a DEALLOCATE that did not come through here). */
const NO_SUCH_STATEMENT = '26000';

interface Prepared {
  name: string;
  paramTypes: number[];
  fields: { name: string; dataTypeID: number }[];
}

type Parser = (value: string, typeId: number) => unknown;
type Serializer = (value: unknown) => string;

/**
 * Vigil's embedded database at `dataDir` ('memory://' for none): pg_trgm loaded, PGlite's start parameters and then
 * `settings` (`-c name=value` pairs). Opened the same way in the API's thread and in the database thread.
 */
export function newVigilPglite(dataDir: string, settings: string[]): VigilPglite {
  return new VigilPglite(dataDir, {
    extensions: { pg_trgm },
    startParams: [...VigilPglite.defaultStartParams, ...settings],
  });
}

export class VigilPglite extends PGlite {
  /** SQL text → its prepared statement, least recently used first (Map keeps insertion order). */
  readonly #prepared = new Map<string, Prepared>();
  /** Names to close with the next message (evicted or invalidated). */
  #toClose: string[] = [];
  #nextName = 0;
  /** While someone LISTENs, PGlite's own path runs every statement: it delivers the notifications. */
  #listening = false;

  /** How many statements are prepared now (for tests and benches). */
  get preparedStatements(): number {
    return this.#prepared.size;
  }

  override async query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    if (!this.#preparable(sql, options))
      return this.#ownPath(sql, () => super.query<T>(sql, params, options));
    await this._checkReady();
    return this._runExclusiveTransaction(() =>
      this._runExclusiveQuery(() => this.#run<T>(sql, params ?? [], options, false)),
    );
  }

  override async exec(sql: string, options?: QueryOptions): Promise<Results[]> {
    return this.#ownPath(sql, () => super.exec(sql, options));
  }

  override async transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T> {
    return super.transaction((tx) => {
      const query = async <R>(
        sql: string,
        params?: unknown[],
        options?: QueryOptions,
      ): Promise<Results<R>> => {
        if (!this.#preparable(sql, options))
          return this.#ownPath(sql, () => tx.query<R>(sql, params, options));
        // PGlite's transaction object refuses statements once it is closed; keep that.
        if (tx.closed) throw new Error('Transaction is closed');
        return this._runExclusiveQuery(() => this.#run<R>(sql, params ?? [], options, true));
      };
      const ours: Transaction = {
        query,
        sql: <R>(strings: TemplateStringsArray, ...values: unknown[]) => {
          const t = template(strings, ...values);
          return query<R>(t.query, t.params);
        },
        exec: (sql, options) => this.#ownPath(sql, () => tx.exec(sql, options)),
        rollback: () => tx.rollback(),
        listen: (channel, onMessage) => this.listen(channel, onMessage, ours),
        get closed() {
          return tx.closed;
        },
      };
      return callback(ours);
    });
  }

  override async listen(
    channel: string,
    onMessage: (payload: string) => void,
    tx?: Transaction,
  ): Promise<(tx?: Transaction) => Promise<void>> {
    this.#listening = true;
    return super.listen(channel, onMessage, tx);
  }

  #preparable(sql: string, options: QueryOptions | undefined): boolean {
    return (
      !this.#listening &&
      this.debug === 0 &&
      sql.length <= MAX_PREPARED_SQL_LENGTH &&
      PREPARABLE.test(sql) &&
      !options?.blob &&
      !options?.onNotice &&
      !options?.paramTypes
    );
  }

  /** PGlite's own path; a statement that may change the schema then forgets every prepared statement. */
  async #ownPath<R>(sql: string, run: () => Promise<R>): Promise<R> {
    try {
      return await run();
    } finally {
      if (!SCHEMA_PRESERVING.test(sql)) this.#forgetAll();
    }
  }

  #forgetAll() {
    for (const p of this.#prepared.values()) this.#toClose.push(p.name);
    this.#prepared.clear();
  }

  /** One statement on the prepared path; the caller holds PGlite's query mutex (and the transaction's). */
  async #run<T>(sql: string, params: unknown[], options: QueryOptions | undefined, inTransaction: boolean) {
    let retried = false;
    for (;;) {
      const prepared = this.#prepared.get(sql) ?? (await this.#prepare(sql, params, options));
      try {
        const result = await this.#execute<T>(prepared, sql, params, options);
        if (!inTransaction) await this.syncToFs();
        return result;
      } catch (err) {
        const code = err instanceof messages.DatabaseError ? err.code : undefined;
        if (code !== RESULT_TYPE_CHANGED && code !== NO_SUCH_STATEMENT) throw err;
        // The statement went stale (see SCHEMA_PRESERVING): prepare it again. Inside a transaction the error has
        // aborted it, so only the next statement can use the fresh one.
        this.#forgetAll();
        if (inTransaction || retried) throw err;
        retried = true;
      }
    }
  }

  async #prepare(sql: string, params: unknown[], options: QueryOptions | undefined): Promise<Prepared> {
    const name = `vigil_${this.#nextName++}`;
    const answer = await this.#send(
      [
        protocol.serialize.parse({ name, text: sql }),
        protocol.serialize.describe({ type: 'S', name }),
        protocol.serialize.sync(),
      ],
      sql,
      params,
      options,
    );
    const prepared: Prepared = { name, paramTypes: [], fields: [] };
    forEachMessage(answer, (code, start) => {
      if (code === PARAMETER_DESCRIPTION) prepared.paramTypes = readParameterTypes(answer, start);
      else if (code === ROW_DESCRIPTION) prepared.fields = readFields(answer, start);
    });
    this.#prepared.set(sql, prepared);
    if (this.#prepared.size > MAX_PREPARED_STATEMENTS) {
      const [oldest] = this.#prepared.keys();
      if (oldest !== undefined) {
        this.#toClose.push(this.#prepared.get(oldest)?.name ?? '');
        this.#prepared.delete(oldest);
      }
    }
    return prepared;
  }

  async #execute<T>(
    prepared: Prepared,
    sql: string,
    params: unknown[],
    options: QueryOptions | undefined,
  ): Promise<Results<T>> {
    // Most recently used last: the eviction above takes the first.
    this.#prepared.delete(sql);
    this.#prepared.set(sql, prepared);
    const values = params.map((param, i) => {
      if (param === null || param === undefined) return null;
      const oid = prepared.paramTypes[i] ?? 0;
      const serialize = (options?.serializers?.[oid] ?? this.serializers[oid]) as Serializer | undefined;
      return serialize ? serialize(param) : (param as { toString(): string }).toString();
    });
    const answer = await this.#send(
      [
        protocol.serialize.bind({ statement: prepared.name, values }),
        protocol.serialize.execute({}),
        protocol.serialize.sync(),
      ],
      sql,
      params,
      options,
    );
    return decodeResult<T>(answer, prepared.fields, this.#parsersFor(prepared.fields, options), options);
  }

  #parsersFor(fields: Prepared['fields'], options: QueryOptions | undefined): (Parser | undefined)[] {
    return fields.map(
      (f) =>
        (options?.parsers?.[f.dataTypeID] ?? this.parsers[f.dataTypeID] ?? types.parsers[f.dataTypeID]) as
          Parser | undefined,
    );
  }

  /**
   * Sends the messages (after any pending Close) as one exchange and answers the backend's bytes; throws the first
   * error as PGlite's `query` does (the same DatabaseError, with the statement, parameters and options on it).
   */
  async #send(parts: Uint8Array[], sql: string, params: unknown[], options: QueryOptions | undefined) {
    const closes = this.#toClose.map((name) => protocol.serialize.close({ type: 'S', name }));
    this.#toClose = [];
    const message = Buffer.concat([...closes, ...parts]);
    const chunks: Buffer[] = [];
    await this.execProtocolRawStream(message, {
      syncToFs: false,
      onRawData: (bytes) => chunks.push(Buffer.from(bytes)),
    });
    const answer = chunks.length === 1 ? (chunks[0] ?? Buffer.alloc(0)) : Buffer.concat(chunks);
    let failed = false;
    forEachMessage(answer, (code) => {
      if (code === ERROR_RESPONSE) failed = true;
    });
    if (failed) throw databaseError(answer, sql, params, options);
    return answer;
  }
}

const ERROR_RESPONSE = 0x45; // E
const ROW_DESCRIPTION = 0x54; // T
const PARAMETER_DESCRIPTION = 0x74; // t
const DATA_ROW = 0x44; // D
const COMMAND_COMPLETE = 0x43; // C

/** Calls `visit(code, bodyStart, end)` for each backend message in `bytes`. */
function forEachMessage(bytes: Buffer, visit: (code: number, start: number, end: number) => void) {
  let at = 0;
  while (at + 5 <= bytes.length) {
    const end = at + 1 + bytes.readInt32BE(at + 1);
    visit(bytes[at] ?? 0, at + 5, end);
    at = end;
  }
}

function readParameterTypes(bytes: Buffer, start: number): number[] {
  const count = bytes.readInt16BE(start);
  const oids: number[] = [];
  for (let i = 0; i < count; i++) oids.push(bytes.readInt32BE(start + 2 + i * 4));
  return oids;
}

function readFields(bytes: Buffer, start: number): Prepared['fields'] {
  const count = bytes.readInt16BE(start);
  const fields: Prepared['fields'] = [];
  let at = start + 2;
  for (let i = 0; i < count; i++) {
    const nul = bytes.indexOf(0, at);
    const name = bytes.toString('utf8', at, nul);
    // table oid (4), column number (2), then the type oid; then size (2), modifier (4), format (2).
    fields.push({ name, dataTypeID: bytes.readInt32BE(nul + 1 + 6) });
    at = nul + 1 + 18;
  }
  return fields;
}

/** The result of one Bind/Execute exchange, shaped as PGlite's parseResults shapes it. */
function decodeResult<T>(
  bytes: Buffer,
  fields: Prepared['fields'],
  parsers: (Parser | undefined)[],
  options: QueryOptions | undefined,
): Results<T> {
  const arrays = options?.rowMode === 'array';
  const rows: unknown[] = [];
  let result: Results<T> | null = null;
  forEachMessage(bytes, (code, start, end) => {
    if (code === DATA_ROW) {
      const count = bytes.readInt16BE(start);
      const values: unknown[] = new Array<unknown>(count);
      let at = start + 2;
      for (let i = 0; i < count; i++) {
        const length = bytes.readInt32BE(at);
        at += 4;
        if (length < 0) {
          values[i] = null;
          continue;
        }
        const text = bytes.toString('utf8', at, at + length);
        at += length;
        const parse = parsers[i];
        values[i] = parse ? parse(text, fields[i]?.dataTypeID ?? 0) : text;
      }
      rows.push(arrays ? values : Object.fromEntries(values.map((v, i) => [fields[i]?.name ?? '', v])));
    } else if (code === COMMAND_COMPLETE) {
      const text = bytes.toString('utf8', start, end - 1);
      const parts = text.split(' ');
      const command = parts[0] ?? '';
      const rowCount = parseInt(parts[parts.length - 1] ?? '', 10);
      const counted = ['INSERT', 'UPDATE', 'DELETE', 'COPY', 'MERGE'].includes(command);
      result = {
        rows: rows as Results<T>['rows'],
        fields: fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
        command,
        affectedRows: counted ? rowCount : 0,
        ...(Number.isNaN(rowCount) ? {} : { rowCount }),
      };
    }
  });
  return result ?? { affectedRows: 0, rows: [], fields: [] };
}

/** The first error of the answer, decoded by PGlite's own protocol parser, with what PGlite's `query` adds to it. */
function databaseError(bytes: Buffer, sql: string, params: unknown[], options: QueryOptions | undefined) {
  let first: messages.DatabaseError | null = null;
  new protocol.Parser().parse(bytes, (msg) => {
    if (!first && msg instanceof messages.DatabaseError) first = msg;
  });
  const error: messages.DatabaseError = first ?? new messages.DatabaseError('unreadable error', 0, 'error');
  return Object.assign(error, { query: sql, params, queryOptions: options });
}
