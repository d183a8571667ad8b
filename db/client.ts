import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExtractTablesWithRelations, Logger, SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { newVigilPglite, type VigilPglite } from './pglite-client.js';
import { PgliteWorkerClient, startPgliteWorker } from './pglite-worker-client.js';
import * as schema from './schema/index.js';
import { FUZZY_SIMILARITY } from '../domain/inventory.js';

export type Schema = typeof schema;
/** The driver-neutral database type every query is written against (postgres.js and PGlite alike). */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type Transaction = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** A database or a transaction: what functions that may run inside a caller's transaction accept. */
export type Executor = Database | Transaction;

/**
 * Rows of a raw statement, whatever the driver (postgres.js returns an array, PGlite an object with `rows`). Values
 * come as the driver reads them (uuids and text as strings); use it for statements the query builder cannot write.
 */
export async function queryRows<T extends Record<string, unknown>>(db: Executor, query: SQL): Promise<T[]> {
  const result: unknown = await db.execute(query);
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as T[];
}

export const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface DatabaseHandle {
  db: Database;
  driver: 'pglite' | 'postgres';
  /** Applies every committed migration; safe to call on every start. */
  migrate(): Promise<void>;
  /**
   * Postgres LISTEN on a dedicated connection (reconnected by the driver); resolves once listening and returns the
   * unlisten. `onRelisten` runs each time the driver listens again after its connection was lost: notifications sent
   * meanwhile are gone, so whoever relies on them starts over. Undefined on PGlite, which lives in one process and
   * needs no cross-process wake-ups.
   */
  listen?: (
    channel: string,
    onMessage: (payload: string) => void,
    onRelisten?: () => void,
  ) => Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * Settings every session of Vigil's starts with (postgres.js sends them in the startup message; PGlite starts with
 * them). `pg_trgm.similarity_threshold` is the bar of `%`, the fuzzy asset search's index condition: at Vigil's own
 * threshold the trigram index returns only names that can pass the search's `similarity > FUZZY_SIMILARITY` instead
 * of every name above pg_trgm's default 0.3 (a typo of one host among 100,000 assets: 22 candidates to test instead
 * of 328, 1.8 ms instead of 3.8). Results are the same either way: the search tests the similarity itself.
 */
export const SESSION_SETTINGS: Record<string, string> = {
  'pg_trgm.similarity_threshold': String(FUZZY_SIMILARITY),
};

/**
 * Settings of the connections that run the statements Vigil asks to be planned once (`plannedOnce`): as every session,
 * and a generic plan for each prepared statement instead of one per execution.
 */
export const PLANNED_ONCE_SETTINGS: Record<string, string> = {
  ...SESSION_SETTINGS,
  plan_cache_mode: 'force_generic_plan',
};

/** A Postgres database's twin that plans each prepared statement once (see `plannedOnce`). */
const plannedOnceTwins = new WeakMap<object, Database>();

/**
 * Opens the planned-once pool of the Postgres database at `url` and makes it what `plannedOnce(db)` returns; the
 * caller ends it (`end`) with `db`'s own. It connects on its first statement and lets go of connections idle for a
 * minute: a process that serves no search holds none.
 */
export function attachPlannedOnce(
  db: Database,
  url: string,
  opts: { max: number; logger?: Logger },
): { end: () => Promise<void> } {
  const client = postgres(url, {
    max: opts.max,
    idle_timeout: 60,
    onnotice: () => undefined,
    connection: PLANNED_ONCE_SETTINGS,
  });
  const twin = drizzlePostgres({ client, schema, casing: 'snake_case', logger: opts.logger });
  plannedOnceTwins.set(db, twin as unknown as Database);
  return { end: () => client.end({ timeout: 5 }) };
}

/**
 * Where to run a statement that is written to plan well without its values and that costs more to plan than to run
 * (the asset searches, services/inventory/asset-views.ts): on Postgres, a pool of its own whose sessions plan each
 * prepared statement once (`plan_cache_mode=force_generic_plan` there, and there only: every other statement keeps
 * its value-aware plans); on PGlite, which plans every statement once anyway, and inside a transaction, the database
 * or transaction given. Statements that read through it see committed data only: it never joins a transaction.
 */
export function plannedOnce(db: Executor): Executor {
  return plannedOnceTwins.get(db) ?? db;
}

export interface OpenDatabaseOptions {
  /** A postgres:// URL; without it Vigil uses embedded PGlite. */
  url?: string;
  /** PGlite's data folder; undefined keeps the database in memory. */
  pgliteDir?: string;
  poolMax?: number;
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (opts.url) {
    const client = postgres(opts.url, {
      max: opts.poolMax ?? 10,
      onnotice: () => undefined,
      connection: SESSION_SETTINGS,
    });
    const db = drizzlePostgres({ client, schema, casing: 'snake_case' });
    const plannedOnceClient = attachPlannedOnce(db as unknown as Database, opts.url, {
      max: Math.max(2, Math.ceil((opts.poolMax ?? 10) / 2)),
    });
    return {
      db: db as unknown as Database,
      driver: 'postgres',
      migrate: () => migratePostgres(db, { migrationsFolder }),
      listen: async (channel, onMessage, onRelisten) => {
        let listening = false;
        // postgres.js calls `onlisten` on the first LISTEN and again after every reconnection.
        const { unlisten } = await client.listen(channel, onMessage, () => {
          if (listening) onRelisten?.();
          listening = true;
        });
        return unlisten;
      },
      close: async () => {
        await Promise.all([client.end({ timeout: 5 }), plannedOnceClient.end()]);
      },
    };
  }
  const client = await openPgliteWorker(opts.pgliteDir);
  const db = pgliteDrizzle(client);
  return {
    db: db as unknown as Database,
    driver: 'pglite',
    migrate: () => migratePglite(db, { migrationsFolder }),
    close: () => client.close(),
  };
}

/**
 * Planner settings of the embedded database.
 * - Costs for a database whose pages are all in memory (PGlite's own heap, or the OS cache of a small data folder): a
 *   random page costs about what a sequential one does. With the server default (4), a key look-up in a table of a
 *   few pages priced above reading it whole, and the asset pages' groups sub-select read and hashed every account's
 *   asset groups once per listed asset (PGlite asset page: ~3.9 → ~2.1–2.6 ms CPU, floor p99 45 → 19 ms at c16).
 * - Generic plans for prepared statements: each kept statement is planned once, not on every execution. Planning in
 *   WebAssembly costs more than most of Vigil's statements take to run (an asset search: 1.2–1.9 ms of planning for
 *   0.2–0.6 ms of execution), and `auto` kept re-planning the searches and the asset page on every call (their
 *   generic estimates price above the custom ones). Statements are written to plan well without their values: the
 *   searches test the account as `IS TRUE` (services/inventory/asset-views.ts), and a partial index's predicate is
 *   written as a literal where a statement relies on it (services/agents/pending-probe.ts). At a tenth of the bench's
 *   fleet, in process: asset searches 1.3–2.8 → 0.3–1.0 ms each; in bench/api.ts, the API's CPU over its 28 read
 *   endpoints fell 13–22 % (two runs).
 */
export const PGLITE_SETTINGS = [
  '-c',
  'random_page_cost=1.1',
  '-c',
  'plan_cache_mode=force_generic_plan',
  ...Object.entries(SESSION_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
];

/** The embedded database: PGlite with pg_trgm, on Vigil's prepared-statement path (db/pglite-client.ts). */
export async function openPglite(dir?: string): Promise<VigilPglite> {
  if (dir) mkdirSync(dir, { recursive: true });
  const client = newVigilPglite(dir ?? 'memory://', PGLITE_SETTINGS);
  await client.waitReady;
  return client;
}

/**
 * The embedded database as the application runs it: PGlite on a thread of its own (db/pglite-worker-client.ts), so
 * that Postgres-in-WebAssembly works on one core while the API's JavaScript works on the other.
 */
export async function openPgliteWorker(dir?: string): Promise<PgliteWorkerClient> {
  if (dir) mkdirSync(dir, { recursive: true });
  const client = new PgliteWorkerClient(
    await startPgliteWorker({ vigilPglite: true, dataDir: dir ?? 'memory://', settings: PGLITE_SETTINGS }),
  );
  try {
    await client.waitReady;
  } catch (err) {
    await client.terminate();
    throw err;
  }
  return client;
}

/** Drizzle over an embedded database (a `logger` sees every statement, as the benches' capture does). */
export function pgliteDrizzle(client: VigilPglite | PgliteWorkerClient, logger?: Logger) {
  // Drizzle's PGlite session calls `query` and `transaction` (and the transaction's `query`), which the worker's
  // client offers with PGlite's signatures; its type names PGlite's class.
  return drizzlePglite({ client: client as VigilPglite, schema, casing: 'snake_case', logger });
}
