import { Column, is, SQL, Subquery } from 'drizzle-orm';

/**
 * Built queries kept per database (or transaction) and shape. Building a Drizzle query — walking its SQL chunks,
 * escaping names, ordering the selected fields — cost about a tenth of a list request's CPU, every request, for
 * statements whose text never changes. A query built once with `sql.placeholder(…)` for its values and `.prepare()`d
 * is executed with the values of each call; postgres.js also keeps the statement prepared per connection by its text.
 * `shape` must name everything that changes the statement's text (which filters are present, a cursor or none).
 *
 * A kept select whose fields are all top-level (no joined objects) maps its rows with `flatRowMapper`.
 */
const built = new WeakMap<object, Map<string, unknown>>();

export function reusedQuery<Q>(db: object, shape: string, build: () => Q): Q {
  let byShape = built.get(db);
  if (!byShape) {
    byShape = new Map();
    built.set(db, byShape);
  }
  let query = byShape.get(shape) as Q | undefined;
  if (query === undefined) {
    query = build();
    mapRowsFlat(query);
    byShape.set(shape, query);
  }
  return query;
}

interface Decoder {
  mapFromDriverValue(value: unknown): unknown;
}

/** What a prepared Drizzle select (postgres.js or PGlite) keeps of its selection: one entry per column of a row. */
interface PreparedSelect {
  fields?: { path: string[]; field: unknown }[];
  customResultMapper?: (rows: unknown[][]) => unknown;
}

/** The decoder Drizzle's `mapResultRow` uses for a selected field. */
function decoderOf(field: unknown): Decoder {
  if (is(field, Column)) return field;
  if (is(field, SQL)) return (field as unknown as { decoder: Decoder }).decoder;
  if (is(field, Subquery)) return (field._.sql as unknown as { decoder: Decoder }).decoder;
  return (field as { sql: { decoder: Decoder } }).sql.decoder;
}

/**
 * Rows of a flat selection mapped as Drizzle's `mapResultRow` maps them (each value through its field's decoder,
 * `null` as `null`), without its per-value work: Drizzle asks each field of each row which kind of field it is
 * (`is`, a prototype walk), walks its path and tracks joined tables to nullify — ~12 % of the vulnerability list's API
 * CPU in a profile (the decoders' own work, such as a timestamp's `Date`, is the same either way).
 * Here the decoders and keys are found once per statement. Undefined when a field sits in a nested object (a join's
 * table), where Drizzle's nullifying of an absent joined row applies.
 */
function flatRowMapper(
  fields: { path: string[]; field: unknown }[],
): ((rows: unknown[][]) => Record<string, unknown>[]) | undefined {
  if (fields.some((f) => f.path.length !== 1)) return undefined;
  const keys = fields.map((f) => f.path[0] ?? '');
  const decoders = fields.map((f) => decoderOf(f.field));
  const n = keys.length;
  return (rows) => {
    const out = new Array<Record<string, unknown>>(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] ?? [];
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const v = row[i];
        o[keys[i] ?? ''] = v === null ? null : (decoders[i] as Decoder).mapFromDriverValue(v);
      }
      out[r] = o;
    }
    return out;
  };
}

/** Gives a prepared flat select `flatRowMapper` as its result mapper; anything else is left as it is. */
function mapRowsFlat(query: unknown): void {
  if (typeof query !== 'object' || query === null) return;
  const prepared = query as PreparedSelect;
  if (!Array.isArray(prepared.fields) || prepared.customResultMapper) return;
  const mapper = flatRowMapper(prepared.fields);
  if (mapper) prepared.customResultMapper = mapper;
}
