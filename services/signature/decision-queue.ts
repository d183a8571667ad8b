import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { admissionDecisions } from '../../db/schema/signature.js';
import { uuidv7 } from '../../domain/ids.js';

export type DecisionRow = Omit<typeof admissionDecisions.$inferInsert, 'id' | 'createdAt'>;
type StoredDecision = DecisionRow & { id: string; createdAt: Date };

export interface DecisionQueueOptions {
  /** A batch is written once this many decisions wait; no statement carries more. */
  batchRows: number;
  /** Longest a decision waits in memory before its batch is written. */
  batchMs: number;
  /** Past this many unwritten rows, `record` asks the caller to wait for the queue to drain (no row is dropped). */
  maxQueued: number;
}

/**
 * Postgres (production): the INSERT is network I/O that does not hold up other requests, so batches are short.
 * Embedded PGlite runs every statement on the event loop (about 0.1 ms a row here): a few larger batches a second
 * delay far fewer admission answers than many small ones. Either way a crash (not a shutdown, which flushes) loses
 * at most `batchMs` of decisions.
 */
export const DECISION_QUEUE_POSTGRES: DecisionQueueOptions = {
  batchRows: 500,
  batchMs: 100,
  maxQueued: 10_000,
};
export const DECISION_QUEUE_PGLITE: DecisionQueueOptions = {
  batchRows: 250,
  batchMs: 1000,
  maxQueued: 10_000,
};

/** SQL type of each column as `jsonb_to_recordset` reads it (mode and outcome are text columns). */
const RECORD_TYPES = {
  id: 'uuid',
  accountId: 'uuid',
  clusterId: 'uuid',
  policyId: 'uuid',
  policyVersion: 'integer',
  requestUid: 'text',
  namespace: 'text',
  kind: 'text',
  name: 'text',
  operation: 'text',
  mode: 'text',
  allowed: 'boolean',
  outcome: 'text',
  message: 'text',
  images: 'jsonb',
  createdAt: 'timestamptz',
} as const satisfies Record<keyof StoredDecision, string>;
const FIELDS = (Object.keys(RECORD_TYPES) as (keyof StoredDecision)[]).map((f) => ({
  field: f,
  column: admissionDecisions[f].name,
}));
const INSERT_COLUMNS = sql.raw(FIELDS.map((f) => `"${f.column}"`).join(', '));
const RECORD_SHAPE = sql.raw(FIELDS.map((f) => `"${f.column}" ${RECORD_TYPES[f.field]}`).join(', '));

/**
 * A decision as one JSON object (keyed by column), made when it is recorded: the queue then holds one flat string
 * per decision instead of the request's objects, which would otherwise live on into the old generation.
 */
function encodeDecision(row: StoredDecision): string {
  const record: Record<string, unknown> = {};
  for (const { field, column } of FIELDS) record[column] = row[field] ?? null;
  return JSON.stringify(record, storableString);
}

/**
 * jsonb refuses `\u0000` and lone surrogates, and one refused row would fail its whole batch: such characters
 * (which a review from any cluster may carry) are stored as U+FFFD instead.
 */
function storableString(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? value.replace(UNSTORABLE, '\uFFFD') : value;
}
// eslint-disable-next-line no-control-regex -- the NUL is what this matches
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Every batch is one statement with one JSON parameter: far less work per row (for Drizzle and for the database)
 * than a multi-row VALUES list with sixteen parameters a row.
 */
async function insertDecisions(db: Database, encoded: string[]): Promise<void> {
  await db.execute(
    sql`insert into ${admissionDecisions} (${INSERT_COLUMNS}) select * from jsonb_to_recordset(${`[${encoded.join(',')}]`}::text::jsonb) as r(${RECORD_SHAPE})`,
  );
}

/**
 * Every admission decision is recorded, off the answer path: rows are queued with the time of the decision and
 * written in batches. The queue is bounded by back-pressure, not by dropping rows; a batch the database refuses is
 * written again row by row, and each row it still refuses is reported through `onError` (and not retried).
 * `flush` writes everything queued so far — call it on shutdown, and before reading decisions that must be there.
 */
export class DecisionQueue {
  private pending: string[] = [];
  /** Queued plus being written: what the bound applies to. */
  private unwritten = 0;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  /** The one flush callers wait on while the queue is full (shared, so a full queue does not start one per row). */
  private catchUp: Promise<void> | null = null;

  constructor(
    private readonly db: Database,
    private readonly onError: (err: unknown, rows: number) => void,
    private readonly options: DecisionQueueOptions,
  ) {}

  /** Queues a decision; returns a promise to await only when the queue is full (null otherwise). */
  record(row: DecisionRow): Promise<void> | null {
    const now = Date.now();
    this.pending.push(encodeDecision({ ...row, id: uuidv7(now), createdAt: new Date(now) }));
    this.unwritten++;
    if (this.unwritten >= this.options.maxQueued) {
      // Behind: everything queued by the time the writes in flight finish goes out in one statement.
      this.catchUp ??= this.writing.then(() => {
        this.catchUp = null;
        return this.flush();
      });
      return this.catchUp;
    }
    if (this.pending.length >= this.options.batchRows) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.options.batchMs);
      this.timer.unref();
    }
    return null;
  }

  /** Decisions recorded and not yet written (or refused). */
  get unwrittenCount(): number {
    return this.unwritten;
  }

  /** Writes every queued decision (in statements of at most `batchRows`); resolves once they are stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    this.writing = this.writing.then(async () => {
      for (let i = 0; i < batch.length; i += this.options.batchRows) {
        // Lets requests that arrived meanwhile be answered between two statements.
        if (i > 0) await new Promise((resolve) => setImmediate(resolve));
        const rows = batch.slice(i, i + this.options.batchRows);
        try {
          await this.insertIsolated(rows);
        } finally {
          this.unwritten -= rows.length;
        }
      }
    });
    return this.writing;
  }

  /**
   * One statement for the batch; if the database refuses it, each row on its own, so a row it can never store
   * (from any account) costs only itself and every other account's decisions of the batch are kept.
   */
  private async insertIsolated(rows: string[]): Promise<void> {
    try {
      await insertDecisions(this.db, rows);
      return;
    } catch (err) {
      if (rows.length === 1) {
        this.onError(err, 1);
        return;
      }
    }
    for (const row of rows) {
      try {
        await insertDecisions(this.db, [row]);
      } catch (err) {
        this.onError(err, 1);
      }
    }
  }
}
