import { sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { TrigramSample } from '../../domain/search-trigrams.js';

/** How many asset rows the sample holds (enough to tell a trigram in 1 % of rows from one in 0.1 %). */
const SAMPLE_ROWS = 3000;
/** A sample older than this is taken again before the next search (a fleet's names change slowly). */
export const SAMPLE_TTL_MS = 10 * 60_000;

/** Trigram samples of the three columns an asset search matches, each for its own GIN index. */
export interface AssetSearchSample {
  name: TrigramSample;
  hostname: TrigramSample;
  ip: TrigramSample;
}

interface Kept {
  takenAt: number;
  sample: Promise<AssetSearchSample>;
}

/** Per database (a transaction is a database of its own here, with its own sample): the latest sample. */
const kept = new WeakMap<object, Kept>();

/**
 * The trigrams of a random sample of all accounts' assets (the trigram indexes cover every account's rows, so their
 * cost does too), taken on the first search and again once it is `SAMPLE_TTL_MS` old; concurrent searches share
 * one taking. The sample only steers which substring the index is asked for (`TrigramSample.pick`); what a search
 * returns never depends on it.
 */
export function assetSearchSample(db: Executor, now = Date.now()): Promise<AssetSearchSample> {
  const prior = kept.get(db);
  if (prior && now - prior.takenAt < SAMPLE_TTL_MS) return prior.sample;
  const sample = takeSample(db);
  kept.set(db, { takenAt: now, sample });
  // A failed taking is not kept: the next search tries again (this one fails with the database's error).
  sample.catch(() => {
    if (kept.get(db)?.sample === sample) kept.delete(db);
  });
  return sample;
}

async function takeSample(db: Executor): Promise<AssetSearchSample> {
  // The planner's row estimate (kept by ANALYZE), or a count where the table was never analyzed.
  const [estimate] = await queryRows<{ rows: number }>(
    db,
    sql`select case when reltuples >= 0 then reltuples::float8 else (select count(*) from assets)::float8 end as rows
        from pg_class where oid = 'assets'::regclass`,
  );
  const rows = Number(estimate?.rows ?? 0);
  // Bernoulli sampling picks rows, not pages: a page holds neighbours (host-4240 … host-4279), which would make
  // their digits look common.
  const percent = rows > 0 ? Math.min(100, (100 * SAMPLE_ROWS) / rows) : 100;
  // Each row's trigrams as one '|'-joined text (a trigram is letters, digits and blanks, or a hash in hex): a text
  // array per value would cost the drivers' array parsing, 9,000 arrays a sample.
  const sampled = await queryRows<{ name: string; hostname: string; ip: string }>(
    db,
    sql`select array_to_string(show_trgm(name), '|') as name, array_to_string(show_trgm(hostname), '|') as hostname,
          array_to_string(show_trgm(ip_text), '|') as ip
        from assets tablesample bernoulli (${sql.raw(percent.toFixed(6))}) limit ${SAMPLE_ROWS}`,
  );
  const column = (key: 'name' | 'hostname' | 'ip') =>
    new TrigramSample(sampled.map((r) => (r[key] === '' ? [] : r[key].split('|'))));
  return { name: column('name'), hostname: column('hostname'), ip: column('ip') };
}
