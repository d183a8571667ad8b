import { parentPort, workerData } from 'node:worker_threads';
import { messages, type QueryOptions, type Transaction } from '@electric-sql/pglite';
import { newVigilPglite, type VigilPglite } from './pglite-client.js';
import type { Reply, Request, WorkerError, WorkerStart } from './pglite-worker-client.js';

/**
 * The embedded database's own thread (db/pglite-worker-client.ts starts it): PGlite, on Vigil's prepared path
 * (db/pglite-client.ts), answering the API thread's statements. Postgres-in-WebAssembly then runs beside the API's
 * JavaScript on the machine's other core instead of between its requests.
 *
 * Requests run as they arrive; PGlite queues them itself, as it does in one thread (an open transaction holds every
 * statement that is not its own until it ends). A transaction is PGlite's own `transaction`, held open until the API
 * thread ends it: `begin` answers its number, statements carry it, `end` commits (or rolls back, for a callback that
 * threw) and answers once PGlite has.
 */

/** The parser of a type the caller parses itself: the value stays the text Postgres sent. */
const asText = (value: string) => value;

/** Thrown into PGlite's transaction callback to end it with a rollback (PGlite rolls back, then rethrows it). */
class RollBack extends Error {}

interface OpenTransaction {
  tx: Transaction;
  /** Lets the callback return (true: PGlite commits) or throw RollBack (false). */
  finish: (commit: boolean) => void;
  /** PGlite's transaction call, settled once it has committed or rolled back. */
  done: Promise<void>;
}

/** Answers the API thread's requests on `client` until `close`. */
export function serve(port: NonNullable<typeof parentPort>, client: VigilPglite): void {
  const transactions = new Map<number, OpenTransaction>();
  let nextTransaction = 1;

  const transactionOf = (id: number | undefined): OpenTransaction | undefined => {
    if (id === undefined) return undefined;
    const open = transactions.get(id);
    if (!open) throw new Error(`no open transaction ${id}`);
    return open;
  };

  /** PGlite's query options for a request: columns of the listed types stay text (the caller parses them). */
  const optionsOf = (request: Extract<Request, { op: 'query' }>): QueryOptions => ({
    ...(request.rowMode ? { rowMode: request.rowMode } : {}),
    ...(request.paramTypes ? { paramTypes: request.paramTypes } : {}),
    ...(request.textTypes ? { parsers: Object.fromEntries(request.textTypes.map((t) => [t, asText])) } : {}),
  });

  const begin = (): Promise<number> => {
    const id = nextTransaction++;
    return new Promise<number>((resolve, reject) => {
      let started = false;
      const done = client
        .transaction(async (tx) => {
          const commit = await new Promise<boolean>((finish) => {
            transactions.set(id, { tx, finish, done });
            started = true;
            resolve(id);
          });
          if (!commit) throw new RollBack();
        })
        .catch((err: unknown) => {
          if (!(err instanceof RollBack)) throw err;
        })
        .finally(() => transactions.delete(id));
      // BEGIN itself failed: the callback never ran, and this is the caller's answer.
      done.catch((err: unknown) => {
        if (!started) reject(err as Error);
      });
    });
  };

  const run = async (request: Request): Promise<unknown> => {
    switch (request.op) {
      case 'query': {
        const open = transactionOf(request.tx);
        const options = optionsOf(request);
        return open
          ? open.tx.query(request.sql, request.params, options)
          : client.query(request.sql, request.params, options);
      }
      case 'exec': {
        const open = transactionOf(request.tx);
        return open ? open.tx.exec(request.sql) : client.exec(request.sql);
      }
      case 'begin':
        return begin();
      case 'rollback':
        return transactionOf(request.tx)?.tx.rollback();
      case 'end': {
        const open = transactionOf(request.tx);
        if (!open) return undefined;
        open.finish(request.commit);
        return open.done;
      }
      case 'close':
        return client.close();
    }
  };

  /** Answers a request; a value that cannot cross (a DataCloneError) is answered as that error instead. */
  const answer = (id: number, value: unknown) => {
    try {
      port.postMessage({ id, ok: true, value } satisfies Reply);
    } catch (err) {
      port.postMessage({ id, ok: false, error: workerError(err) } satisfies Reply);
    }
  };

  port.on('message', (request: Request) => {
    run(request).then(
      (value) => {
        answer(request.id, value);
        if (request.op === 'close') port.close();
      },
      (err: unknown) =>
        port.postMessage({ id: request.id, ok: false, error: workerError(err) } satisfies Reply),
    );
  });
}

/**
 * An error as the API thread rebuilds it: its message and name, and a DatabaseError's fields (code, detail,
 * constraint …). What PGlite adds about the statement (its text, parameters and options) is the caller's already,
 * and options may hold functions, which cannot cross threads.
 */
function workerError(err: unknown): WorkerError {
  if (!(err instanceof Error)) return { database: false, message: String(err), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(err)) {
    if (key === 'query' || key === 'params' || key === 'queryOptions') continue;
    if (value === undefined || ['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value;
  }
  return { database: err instanceof messages.DatabaseError, message: err.message, stack: err.stack, fields };
}

if (parentPort && (workerData as WorkerStart | undefined)?.vigilPglite) {
  const start = workerData as WorkerStart;
  const port = parentPort;
  const client = newVigilPglite(start.dataDir, start.settings);
  client.waitReady.then(
    () => {
      serve(port, client);
      port.postMessage({ id: 0, ok: true, value: 'ready' } satisfies Reply);
    },
    (err: unknown) => port.postMessage({ id: 0, ok: false, error: workerError(err) } satisfies Reply),
  );
}
