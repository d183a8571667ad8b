import type { Database } from '../../db/client.js';

/**
 * Gathers the lookups made in the same turn of the event loop into one call per `maxKeys` keys, and lets concurrent
 * lookups of the same key share one answer. When ten thousand agents connect at once (an API restart), their first
 * polls would otherwise queue ten thousand statements behind the connection pool; batched they are a few.
 */
export class KeyBatcher<V> {
  private queued = new Map<string, { resolve: (v: V | undefined) => void; reject: (e: unknown) => void }[]>();
  private scheduled = false;

  constructor(
    /** One statement for many keys: the value found for each key (absent: none). */
    private readonly load: (keys: string[]) => Promise<Map<string, V>>,
    private readonly maxKeys = 1_000,
  ) {}

  /** The value for `key` (undefined: none), looked up with the other keys asked for in this turn. */
  get(key: string): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiting = this.queued.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else this.queued.set(key, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Keys waiting for the next statement (a bound the tests check). */
  get pending(): number {
    return this.queued.size;
  }

  private flush(): void {
    const batch = this.queued;
    this.queued = new Map();
    this.scheduled = false;
    const keys = [...batch.keys()];
    for (let i = 0; i < keys.length; i += this.maxKeys) {
      const chunk = keys.slice(i, i + this.maxKeys);
      this.load(chunk).then(
        (found) => {
          for (const key of chunk) for (const w of batch.get(key) ?? []) w.resolve(found.get(key));
        },
        (err: unknown) => {
          for (const key of chunk) for (const w of batch.get(key) ?? []) w.reject(err);
        },
      );
    }
  }
}

/** One batcher per database (a process may hold several, tests do): `load` runs against the database asked for. */
export function batcherPerDatabase<V>(
  load: (db: Database, keys: string[]) => Promise<Map<string, V>>,
): (db: Database) => KeyBatcher<V> {
  const batchers = new WeakMap<Database, KeyBatcher<V>>();
  return (db) => {
    let batcher = batchers.get(db);
    if (!batcher) {
      batcher = new KeyBatcher((keys) => load(db, keys));
      batchers.set(db, batcher);
    }
    return batcher;
  };
}
